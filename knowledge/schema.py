"""Typed knowledge entries and their validation from parsed YAML, with located problems."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.problems import Problem
from common.sources import Citation, parse_citations
from common.yamlload import Loaded
from knowledge.aspect import ASPECTS
from knowledge.normalize import tidy_chinese

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MIN_QUESTIONS = 3
MAX_TEXT = 4000


@dataclass(frozen=True)
class Entry:
    """One knowledge-base answer, traceable to its file and line."""

    id: str
    title: str
    category: str
    questions: tuple[str, ...]
    answer: str
    source: str  # the rendered source line (filled from the registry when the KB loads)
    verified: bool
    local_practice: bool
    keywords: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    note: str = ""  # a user-visible caveat: which edition an answer rests on, an unsettled point
    aspects: tuple[str, ...] = ()
    not_for: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()  # question forms this entry answers (knowledge.aspect.ASPECTS); derived when empty
    not_for: tuple[str, ...] = ()  # near questions this entry must not answer (checked by the self-test)
    file: str = ""
    line: int = 0


# field name -> (kind, required)
ENTRY_FIELDS = {
    "id": ("text", True),
    "title": ("text", True),
    "category": ("text", True),
    "questions": ("texts", True),
    "keywords": ("texts", False),
    "answer": ("text", True),
    "steps": ("texts", False),
    "source": ("citations", True),
    "verified": ("bool", True),
    "local_practice": ("bool", True),
    "related": ("texts", False),
    "tags": ("texts", False),
    "note": ("text", False),
    "aspects": ("texts", False),
    "not_for": ("texts", False),
}


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if value is None:
        return "nothing (null)"
    return {int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def _check_value(doc: Loaded, path: tuple, kind: str, value: object, problems: list[Problem]) -> object:
    """Return the value converted to its field kind, or None after recording a problem."""
    if kind == "citations":
        return parse_citations(doc, path, value, problems)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        problems.append(doc.problem(path, f"expected true or false, got {_type_name(value)}"))
        return None
    if kind == "text":
        if isinstance(value, str) and value.strip():
            if len(value) > MAX_TEXT:
                problems.append(doc.problem(path, f"text is {len(value)} characters, over the {MAX_TEXT} limit"))
                return None
            return tidy_chinese(value)
        hint = " (YAML reads yes/no/on/off as booleans: put the text in quotes)" if isinstance(value, bool) else ""
        got = "empty text" if isinstance(value, str) else _type_name(value)
        problems.append(doc.problem(path, f"expected text, got {got}{hint}"))
        return None
    # a list of texts
    if not isinstance(value, list):
        problems.append(doc.problem(path, f"expected a list of text, got {_type_name(value)}"))
        return None
    items = [_check_value(doc, path + (i,), "text", item, problems) for i, item in enumerate(value)]
    return None if any(item is None for item in items) else tuple(items)


def parse_entry(doc: Loaded, index: int, raw: object, problems: list[Problem]) -> Entry | None:
    """Validate one raw entry mapping; append problems and return None when it is invalid."""
    path = ("entries", index)
    if not isinstance(raw, dict):
        problems.append(doc.problem(path, f"expected a mapping with id, title, …, got {_type_name(raw)}"))
        return None
    before = len(problems)
    for key in raw:
        if key not in ENTRY_FIELDS:
            known = ", ".join(ENTRY_FIELDS)
            problems.append(doc.problem(path + (key,), f"unknown field (known fields: {known})"))
    values: dict[str, object] = {}
    for name, (kind, required) in ENTRY_FIELDS.items():
        if name not in raw:
            if required:
                problems.append(doc.problem(path + (name,), "required field missing"))
            continue
        values[name] = _check_value(doc, path + (name,), kind, raw[name], problems)
    if len(problems) > before:
        return None
    _check_semantics(doc, path, values, problems)
    if len(problems) > before:
        return None
    values["citations"] = values.pop("source")
    return Entry(**values, source="", file=doc.file, line=doc.line(path))


def _check_semantics(doc: Loaded, path: tuple, values: dict, problems: list[Problem]) -> None:
    if not ID_PATTERN.match(values["id"]):
        problems.append(
            doc.problem(
                path + ("id",), f"'{values['id']}' is not a dotted lower-case id like admission.talk_within_month"
            )
        )
    if len(values["questions"]) < MIN_QUESTIONS:
        problems.append(
            doc.problem(
                path + ("questions",),
                f"needs at least {MIN_QUESTIONS} example questions, got {len(values['questions'])}",
            )
        )
    for i, aspect in enumerate(values.get("aspects") or ()):
        if aspect not in ASPECTS:
            problems.append(
                doc.problem(path + ("aspects", i), f"unknown aspect '{aspect}' (expected one of {', '.join(ASPECTS)})")
            )


def parse_entries_file(doc: Loaded, problems: list[Problem]) -> list[Entry]:
    """Validate the top-level shape {version, entries} and every entry in it."""
    data = doc.data
    if not isinstance(data, dict):
        problems.append(
            doc.problem((), f"top level must be a mapping with version and entries, got {_type_name(data)}")
        )
        return []
    for key in data:
        if key not in ("version", "entries"):
            problems.append(doc.problem((key,), "unknown top-level field (expected version and entries)"))
    if "version" not in data:
        problems.append(doc.problem(("version",), "required field missing"))
    elif isinstance(data["version"], bool) or not isinstance(data["version"], (int, str)):
        problems.append(doc.problem(("version",), f"expected a version number, got {_type_name(data['version'])}"))
    raw_entries = data.get("entries")
    if raw_entries is None:
        problems.append(doc.problem(("entries",), "required field missing"))
        return []
    if not isinstance(raw_entries, list):
        problems.append(doc.problem(("entries",), f"expected a list of entries, got {_type_name(raw_entries)}"))
        return []
    entries = [parse_entry(doc, i, raw, problems) for i, raw in enumerate(raw_entries)]
    return [e for e in entries if e is not None]
