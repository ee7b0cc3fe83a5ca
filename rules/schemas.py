"""JSON Schemas for the policy and vocabulary YAML, built from the same constants the loaders use.

An editor with the YAML language server validates and completes `rules/*.yaml` and
`rules/vocabulary/*.yaml` with them (see docs/policy-format.md). `python -m rules.schemas` rewrites
rules/schema/*.schema.json; a test keeps the files equal to what this module builds and checks that
the schemas and `bot.py check` agree on shipped and broken files. The schemas check shape and names;
`bot.py check` checks more (types against facts, golden cases, regular expressions).
"""

from __future__ import annotations

from pathlib import Path

from common.sources import CITATION_FIELDS
from rules.compute import OPERATORS
from common import schema_files
from rules.load import CASE_FIELDS, OPTIONAL, REQUIRED, TEXT_CASE_FIELDS, TOP_FIELDS
from rules.policy import CASE_EXPECTS, CONDITION_OPERATORS, OUTCOMES
from rules.vocab import (
    FACT_FIELDS,
    MEASURES,
    PATTERN_FIELDS,
    READ_FIELDS,
    TOPIC_FIELDS,
    TYPES,
    Vocabulary,
    default_vocabulary,
)

DIRECTORY = Path(__file__).resolve().parent / "schema"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
NAME = r"^[a-z][a-z0-9_]*$"
ID = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TEXT = {"type": "string", "minLength": 1}
SCALAR = {"type": ["number", "string", "boolean"]}


def _facts(vocab: Vocabulary) -> dict:
    """The shipped facts as known properties (completion, with the label); other names are allowed
    (an administrator may declare new facts), `bot.py check` tells whether they exist."""
    return {
        name: {"description": f"{fact.label} ({fact.yaml_type}{', ' + fact.unit if fact.unit else ''})"}
        for name, fact in vocab.facts.items()
    }


def policy_schema(vocab: Vocabulary | None = None) -> dict:
    vocab = vocab or default_vocabulary()
    facts = _facts(vocab)
    operand = {"description": "a number, a date, a choice, true/false, or the name of a fact, computed value or today"}
    condition = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {op: operand for op in CONDITION_OPERATORS},
    }
    expr = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 3,
        "properties": {
            **{op: {"description": "the arguments: a list, or one argument"} for op in OPERATORS},
            "label": TEXT,
            "unit": {"type": "string"},
        },
        "additionalProperties": False,
    }
    case = {
        "type": "object",
        "required": ["facts", "expect"],
        "additionalProperties": False,
        "properties": {
            "facts": {
                "type": "object",
                "properties": facts,
                "propertyNames": {"pattern": NAME},
                "additionalProperties": SCALAR,
            },
            "expect": {"enum": list(CASE_EXPECTS)},
            "today": DATE,
            "says": {"oneOf": [TEXT, {"type": "array", "items": TEXT}]},
        },
    }
    assert set(case["properties"]) == set(CASE_FIELDS)
    text_case = {
        "type": "object",
        "required": ["text", "expect"],
        "additionalProperties": False,
        "properties": {
            "text": TEXT,
            "expect": {"enum": list(CASE_EXPECTS)},
            "today": DATE,
            "says": {"oneOf": [TEXT, {"type": "array", "items": TEXT}]},
        },
    }
    assert set(text_case["properties"]) == set(TEXT_CASE_FIELDS)
    citation = {
        "type": "object",
        "required": ["ref"],
        "additionalProperties": False,
        "properties": {
            "ref": {"type": "string", "minLength": 1, "description": "an id of knowledge/sources.yaml"},
            "article": TEXT,
            "no_article": TEXT,
        },
        "not": {"required": ["article", "no_article"]},
    }
    assert set(citation["properties"]) == set(CITATION_FIELDS)
    policy = {
        "type": "object",
        "required": list(REQUIRED),
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID, "description": REQUIRED["id"]},
            "topic": {"type": "string", "examples": list(vocab.topics), "description": REQUIRED["topic"]},
            "needs": {
                "type": "object",
                "minProperties": 1,
                "properties": {n: {**d, **TEXT} for n, d in facts.items()},
                "propertyNames": {"pattern": NAME},
                "additionalProperties": TEXT,
            },
            "compute": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": expr},
            "when": {
                "type": "object",
                "minProperties": 1,
                "properties": {n: condition for n in facts},
                "additionalProperties": condition,
            },
            "priority": {"type": "integer"},
            "outcome": {"enum": list(OUTCOMES)},
            "message": TEXT,
            "verified": {"type": "boolean"},
            "note": TEXT,
            "source": {
                "description": REQUIRED["source"],
                "oneOf": [citation, {"type": "array", "minItems": 1, "items": citation}],
            },
            "flip": TEXT,
            "flip_on": {"type": "string", "pattern": NAME},
            "next_steps": {"type": "array", "items": TEXT},
            "local_practice": {"type": "boolean"},
            "cases": {"type": "array", "minItems": 1, "items": case},
            "text_cases": {"type": "array", "items": text_case},
        },
    }
    assert set(policy["properties"]) == set(REQUIRED) | set(OPTIONAL)
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/policy.schema.json",
        "title": "zhibu-bot policy file (rules/*.yaml)",
        "type": "object",
        "required": list(TOP_FIELDS),
        "additionalProperties": False,
        "properties": {"version": {"type": "integer"}, "policies": {"type": "array", "items": policy}},
    }


def vocabulary_schema(vocab: Vocabulary | None = None) -> dict:
    vocab = vocab or default_vocabulary()
    regex = {"type": "string", "minLength": 1, "description": "a Python regular expression; {MACRO} expands"}
    pattern = {
        "oneOf": [
            regex,
            {
                "type": "object",
                "required": ["pattern"],
                "additionalProperties": False,
                "properties": {k: regex for k in PATTERN_FIELDS},
            },
        ]
    }
    read = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "patterns": {"type": "array", "items": pattern},
            "gaps": {"type": "array", "items": pattern},
            "role": TEXT,
            "keywords": regex,
            "yes_phrases": regex,
            "no_phrases": regex,
            "when": regex,
            "unless": regex,
            "mask": {"type": "boolean"},
            "early": {"type": "boolean"},
            "least": {"type": "number"},
            "pick": {"enum": ["first", "listed"]},
            "order": {"type": "array", "items": TEXT},
            "after": {"type": "string", "pattern": NAME},
            "default": SCALAR,
            "implies_when_yes": {"type": "object", "additionalProperties": SCALAR},
        },
    }
    assert set(read["properties"]) == set(READ_FIELDS)
    fact = {
        "type": "object",
        "required": ["type", "label"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": list(TYPES)},
            "label": TEXT,
            "unit": {"type": "string"},
            "min": {"type": "number"},
            "max": {"type": "number"},
            "measure": {"enum": list(MEASURES)},
            "choices": {"type": "object", "minProperties": 1, "additionalProperties": regex},
            "context": {"type": "boolean"},
            "read": read,
        },
        "allOf": [
            {"if": {"properties": {"type": {"const": "duration"}}}, "then": {"required": ["measure"]}},
            {"if": {"properties": {"type": {"const": "choice"}}}, "then": {"required": ["choices"]}},
        ],
    }
    assert set(fact["properties"]) == set(FACT_FIELDS)
    names = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": NAME}}
    check = {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": TEXT,
            "facts": names,
            "at_most": {"type": "string"},
            "at_least": {"type": "string"},
            "equals": {"type": "string"},
            "unless": {"type": "string"},
            "if": {"type": "object", "minProperties": 1, "maxProperties": 1},
            "forbid": {"type": "object", "minProperties": 1, "maxProperties": 1},
        },
        "additionalProperties": False,
        "oneOf": [
            {"required": ["facts"], "oneOf": [{"required": [op]} for op in ("at_most", "at_least", "equals")]},
            {"required": ["if", "forbid"]},
        ],
    }
    topic = {
        "type": "object",
        "required": ["label", "facts", "phrases"],
        "additionalProperties": False,
        "properties": {
            "label": TEXT,
            "facts": {**names, "items": {"type": "string", "examples": list(vocab.facts)}},
            "phrases": regex,
            "strong": regex,
            "stage": {"type": "integer", "minimum": 1},
            "focus": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["phrases", "policies"],
                    "additionalProperties": False,
                    "properties": {
                        "phrases": regex,
                        "policies": {"type": "array", "items": {"type": "string", "pattern": ID}},
                    },
                },
            },
        },
    }
    assert set(topic["properties"]) == set(TOPIC_FIELDS)
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/vocabulary.schema.json",
        "title": "zhibu-bot fact vocabulary and topics (rules/vocabulary/*.yaml)",
        "type": "object",
        "additionalProperties": False,
        "anyOf": [
            {"required": ["facts"]},
            {"required": ["topics"]},
            {"required": ["checks"]},
            {"required": ["macros"]},
        ],
        "properties": {
            "version": {"type": "integer"},
            "macros": {
                "type": "object",
                "propertyNames": {"pattern": r"^[A-Z][A-Z_]*$"},
                "additionalProperties": regex,
            },
            "facts": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": fact},
            "checks": {"type": "array", "items": check},
            "topics": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": topic},
        },
    }


SCHEMAS = {"policy.schema.json": policy_schema, "vocabulary.schema.json": vocabulary_schema}


def render(name: str) -> str:
    return schema_files.render(SCHEMAS, name)


def main() -> None:
    schema_files.write_all(SCHEMAS, DIRECTORY)


if __name__ == "__main__":
    main()
