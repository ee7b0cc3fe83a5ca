"""JSON Schemas for knowledge/reminders.yaml and knowledge/holidays.yaml, built from the loaders' field tables.

`python -m reminders.yaml_schemas` (or `make schemas`) writes them to knowledge/schema/, next to the knowledge
schemas, since the files live in knowledge/; docs/reminders.md says how to point an editor at them.
tests/test_yaml_schemas.py keeps the files current and checks that they refuse what `bot.py check` refuses.
The schemas check shape, names, ranges and times; `bot.py check` also checks placeholders in texts, duplicate
ids, that every term_end.years row lists every level, and holiday dates against their year.
"""

from __future__ import annotations

from pathlib import Path

from reminders.load import (
    ID_PATTERN,
    MAX_LEAD_DAYS,
    MAX_TERM_MONTHS,
    MAX_TERM_YEARS,
    REMINDER_FIELDS,
    REQUIRED_FIELDS,
    SCHEDULE_FIELDS,
    TERM_FIELDS,
    TOP_FIELDS,
)
from reminders.schedule import _HHMM, _WEEKDAY_NAMES, HOLIDAY_MODES, KINDS, OTHER_ORG_TYPE, TERM_REMINDER_ID
from reminders.workdays import _BLOCK_FIELDS, _YEAR_FIELDS
from common import schema_files

DIRECTORY = Path(__file__).resolve().parent.parent / "knowledge" / "schema"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
TEXT = {"type": "string", "pattern": r"\S"}
TIME = {
    "type": "string",
    "pattern": r"^\s*" + _HHMM.pattern.strip("^$") + r"\s*$",
    "description": 'a time "HH:MM" in quotes (YAML reads an unquoted 9:00 as a number)',
}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else c for c in word)


WEEKDAY = {
    "oneOf": [
        {"type": "integer", "minimum": 1, "maximum": 7, "description": "1 = Monday"},
        {
            "type": "string",
            "examples": ["mon", "周一"],
            "pattern": r"^\s*(" + "|".join(_any_case(n) for n in _WEEKDAY_NAMES) + r")\s*$",
        },
    ]
}


def _schedule() -> dict:
    fields = {
        "day": {"type": "integer", "minimum": 1, "maximum": 31},
        "nth": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 4}, {"enum": ["last", -1]}]},
        "weekday": WEEKDAY,
        "expr": {**TEXT, "description": "five-field cron: minute hour day month weekday"},
    }
    month = {"monthly": None, "monthly_weekday": None, "quarterly": 3, "yearly": 12, "weekly": None, "cron": None}
    kinds = []
    for kind in KINDS:
        props = {"kind": {"const": kind}}
        for name in SCHEDULE_FIELDS[kind]:
            props[name] = {"type": "integer", "minimum": 1, "maximum": month[kind]} if name == "month" else fields[name]
        kinds.append(
            {
                "type": "object",
                "required": ["kind", *SCHEDULE_FIELDS[kind]],
                "additionalProperties": False,
                "properties": props,
            }
        )
    return {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": list(KINDS)}}, "oneOf": kinds}


def _shipped_levels() -> list[str]:
    """The organization levels of the shipped term_end, offered for completion in each years row."""
    import yaml

    data = yaml.safe_load((DIRECTORY.parent / "reminders.yaml").read_text(encoding="utf-8"))
    return list((data.get("term_end") or {}).get("levels") or {})


def reminders_schema() -> dict:
    reminder = {
        "type": "object",
        "required": list(REQUIRED_FIELDS),
        "additionalProperties": False,
        "properties": {
            "id": {
                "type": "string",
                "pattern": ID_PATTERN.pattern,
                "not": {"const": TERM_REMINDER_ID},
                "description": f"lower-case ASCII, 2–32 characters; {TERM_REMINDER_ID} is reserved",
            },
            "title": TEXT,
            "text": {**TEXT, "description": "placeholders: {date} {weekday} {month} {quarter} {year}"},
            "schedule": _schedule(),
            "time": TIME,
            "lead_days": {"type": "integer", "minimum": 0, "maximum": MAX_LEAD_DAYS},
            "on_holiday": {"enum": list(HOLIDAY_MODES)},
            "tags": {"type": "array", "items": TEXT},
            "source": TEXT,
        },
        # a cron schedule carries its own time; every other kind needs `time`
        "if": {
            "required": ["schedule"],
            "properties": {"schedule": {"required": ["kind"], "properties": {"kind": {"const": "cron"}}}},
        },
        "then": {"not": {"required": ["time"]}},
        "else": {"required": ["time"]},
    }
    assert set(reminder["properties"]) == set(REMINDER_FIELDS)
    years = {"type": "integer", "minimum": 1, "maximum": MAX_TERM_YEARS}
    levels = {level: years for level in _shipped_levels()}  # completion; check: every row lists term_end.levels
    term = {
        "type": "object",
        "required": ["title", "text", "time", "levels", "years"],
        "additionalProperties": False,
        "properties": {
            "title": TEXT,
            "time": TIME,
            "text": {**TEXT, "description": "placeholders as a reminder's, plus {months} {term_years} {organization}"},
            "months_before": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_TERM_MONTHS},
            },
            "levels": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": TEXT,
                "description": "organization level → how {organization} names it; the first is the default",
            },
            "years": {
                "type": "object",
                "required": [OTHER_ORG_TYPE],
                "description": f"organization type → level → term years; {OTHER_ORG_TYPE}: no type given",
                "additionalProperties": {
                    "type": "object",
                    "minProperties": 1,
                    "properties": levels,
                    "additionalProperties": years,
                },
            },
            "source": TEXT,
        },
    }
    assert set(term["properties"]) == set(TERM_FIELDS)
    top = {
        "version": {"type": "integer", "minimum": 1},
        "reminders": {"type": "array", "items": reminder},
        "term_end": term,
    }
    assert set(top) == set(TOP_FIELDS)
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/reminders.schema.json",
        "title": "zhibu-bot group reminders (knowledge/reminders.yaml)",
        "type": "object",
        "required": ["version", "reminders"],
        "additionalProperties": False,
        "properties": top,
    }


def holidays_schema() -> dict:
    block = {
        "type": "object",
        "required": ["name", "from"],
        "additionalProperties": False,
        "properties": {"name": TEXT, "from": DATE, "to": DATE},
    }
    assert set(block["properties"]) == set(_BLOCK_FIELDS)
    year = {
        "type": "object",
        "required": ["source", "holidays"],
        "additionalProperties": False,
        "properties": {
            "source": {**TEXT, "description": "国务院办公厅关于YYYY年部分节假日安排的通知"},
            "holidays": {"type": "array", "minItems": 1, "items": block},
            "workdays": {"type": "array", "items": DATE, "description": "调休上班的周六、周日"},
        },
    }
    assert set(year["properties"]) == set(_YEAR_FIELDS)
    return {
        "$schema": DRAFT,
        "$id": "zhibu-bot/holidays.schema.json",
        "title": "zhibu-bot public holidays and 调休 workdays (knowledge/holidays.yaml)",
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "years": {
                "type": "object",
                "propertyNames": {"pattern": r"^(199\d|20\d\d|2100)$"},
                "additionalProperties": year,
            },
        },
    }


SCHEMAS = {"reminders.schema.json": reminders_schema, "holidays.schema.json": holidays_schema}


def render(name: str) -> str:
    return schema_files.render(SCHEMAS, name)


def main() -> None:
    schema_files.write_all(SCHEMAS, DIRECTORY)


if __name__ == "__main__":
    main()
