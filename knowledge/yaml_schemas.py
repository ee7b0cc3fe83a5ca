"""JSON Schemas for the knowledge YAML (entry files, sources.yaml, categories.yaml, synonyms.yaml), built from the
loaders' own field tables.

An editor with the YAML language server validates and completes `knowledge/*.yaml` with them (docs/knowledge-format.md,
"Editor support"). `python -m knowledge.yaml_schemas` (or `make schemas`) rewrites knowledge/schema/*.schema.json;
tests/test_yaml_schemas.py keeps the files equal to what this module builds and checks that the schemas refuse what
`bot.py check` refuses. The schemas check shape and names; `bot.py check` checks more: that a category, tag or source
id exists in its registry, duplicate ids, example questions that rank another entry first.
"""

from __future__ import annotations

from pathlib import Path

from common.sources import CITATION_FIELDS, SOURCE_FIELDS, STATUSES
from knowledge.load import CATEGORY_FIELDS
from knowledge.schema import ENTRY_FIELDS, ID_PATTERN, MAX_TEXT, MIN_QUESTIONS
from common import schema_files

DIRECTORY = Path(__file__).resolve().parent / "schema"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Text with at least one non-space character (the loaders strip and refuse empty text).
TEXT = {"type": "string", "pattern": r"\S"}
VERSION = {"type": ["integer", "string"], "description": "the file format version, 1"}


def _texts(**extra) -> dict:
    return {"type": "array", "items": TEXT, **extra}


def citation_schema() -> dict:
    """{ref: ID, article: 第N条} or {ref: ID, no_article: why}, or a list of them (common.sources.parse_citations)."""
    one = {
        "type": "object",
        "required": ["ref"],
        "additionalProperties": False,
        "properties": {
            "ref": {**TEXT, "description": "a source id from knowledge/sources.yaml"},
            "article": {**TEXT, "description": "第N条, 第N条第M款 …"},
            "no_article": {**TEXT, "description": "why no article is cited"},
        },
        "not": {"required": ["article", "no_article"]},
    }
    assert set(one["properties"]) == set(CITATION_FIELDS)
    return {"oneOf": [one, {"type": "array", "minItems": 1, "items": one}]}


def knowledge_schema(categories: list[str] | None = None, tags: list[str] | None = None) -> dict:
    """An entry file ({version, entries}); `categories` and `tags` (from categories.yaml) are offered for
    completion, not enforced: an admin adds a category in categories.yaml, and `check` tells if it is missing."""
    text = {**TEXT, "maxLength": MAX_TEXT}
    kinds = {"text": text, "texts": _texts(), "bool": {"type": "boolean"}, "citations": citation_schema()}
    properties = {name: dict(kinds[kind]) for name, (kind, _required) in ENTRY_FIELDS.items()}
    properties["id"] = {
        "type": "string",
        "pattern": ID_PATTERN.pattern,
        "description": "a dotted lower-case id like admission.talk_within_month",
    }
    properties["questions"] = _texts(minItems=MIN_QUESTIONS, items=text)
    if categories:
        properties["category"] = {**text, "examples": list(categories)}
    if tags:
        properties["tags"] = _texts(items={**TEXT, "examples": list(tags)})
    entry = {
        "type": "object",
        "required": [n for n, (_k, required) in ENTRY_FIELDS.items() if required],
        "additionalProperties": False,
        "properties": properties,
    }
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/knowledge.schema.json",
        "title": "zhibu-bot knowledge entries (knowledge/*.yaml)",
        "type": "object",
        "required": ["version", "entries"],
        "additionalProperties": False,
        "properties": {"version": VERSION, "entries": {"type": "array", "items": entry}},
    }


def sources_schema() -> dict:
    value = {"oneOf": [TEXT, {"type": "integer"}]}  # the loader takes numbers and dates (as text) too
    properties = {name: dict(value) for name in SOURCE_FIELDS}
    properties["status"] = {"enum": list(STATUSES)}
    source = {
        "type": "object",
        "required": [n for n, required in SOURCE_FIELDS.items() if required],
        "additionalProperties": False,
        "properties": properties,
        "if": {"properties": {"status": {"const": "local"}}, "required": ["status"]},
        "then": {"required": ["place"]},
    }
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/sources.schema.json",
        "title": "zhibu-bot sources registry (knowledge/sources.yaml)",
        "type": "object",
        "required": ["sources"],
        "additionalProperties": False,
        "properties": {"version": VERSION, "sources": {"type": "array", "items": source}},
    }


def categories_schema() -> dict:
    category = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {"name": TEXT, "description": TEXT},
    }
    assert set(category["properties"]) == set(CATEGORY_FIELDS)
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/categories.schema.json",
        "title": "zhibu-bot entry categories and tags (knowledge/categories.yaml)",
        "type": "object",
        "required": ["categories"],
        "additionalProperties": False,
        "properties": {"version": VERSION, "categories": {"type": "array", "items": category}, "tags": _texts()},
    }


def synonyms_schema() -> dict:
    term = {"type": "string", "pattern": r"\S.*\S", "description": "at least two characters"}
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/synonyms.schema.json",
        "title": "zhibu-bot synonym groups (knowledge/synonyms.yaml)",
        "type": "object",
        "required": ["groups"],
        "additionalProperties": False,
        "properties": {
            "version": VERSION,
            "groups": {"type": "array", "items": {"type": "array", "minItems": 2, "items": term}},
        },
    }


def _shipped_categories() -> tuple[list[str], list[str]]:
    """Category names and tags of the shipped knowledge/categories.yaml, for completion."""
    import yaml

    data = yaml.safe_load((DIRECTORY.parent / "categories.yaml").read_text(encoding="utf-8"))
    return [c["name"] for c in data["categories"]], list(data.get("tags") or [])


SCHEMAS = {
    "knowledge.schema.json": lambda: knowledge_schema(*_shipped_categories()),
    "sources.schema.json": sources_schema,
    "categories.schema.json": categories_schema,
    "synonyms.schema.json": synonyms_schema,
}


def render(name: str) -> str:
    return schema_files.render(SCHEMAS, name)


def main() -> None:
    schema_files.write_all(SCHEMAS, DIRECTORY)


if __name__ == "__main__":
    main()
