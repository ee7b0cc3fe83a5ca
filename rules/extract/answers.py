"""Short answers to the bot's follow-up questions: '2名', '是', '企业', '2025年3月1日', '8个月'.

The bot asked for some facts; the reply may be a bare value that extract() cannot place
without context. A bare value is given to an asked fact only when exactly one asked fact of
that kind is still missing, so an answer is never guessed between two facts.
"""

from __future__ import annotations

import re
from datetime import date

from rules.extract.common import Scan, normalize, to_number
from rules.extract.dates import find_dates
from rules.extract.durations import find_durations
from rules.extract.phrases import extract_phrases
from rules.validate import range_problem
from rules.vocab import Vocabulary, default_vocabulary

_NO = re.compile(r"^\s*(?:不是|不|没有|没|否|无|no|n|false)(?![a-z])")
_YES = re.compile(r"^\s*(?:是|对|有|嗯|都是|yes|y|true|ok)(?![a-z])")
_NUMBER = re.compile(r"(?:-|负)?\d+(?:\.\d+)?(?:万|亿)?")
_BARE_CN = re.compile(r"^\s*([零〇一二两俩三四五六七八九十百千万亿]+)\s*(?:名|个|位|人|元|块|票|岁|天)?\s*$")


def _only(scan: Scan, missing: list[str], kinds: tuple[str, ...]) -> str | None:
    """The single missing fact of these types, or None when there are none or several."""
    names = [name for name in missing if scan.vocab.facts[name].type in kinds]
    return names[0] if len(names) == 1 else None


def _answer_bool(text: str) -> bool | None:
    if _NO.match(text):
        return False
    return True if _YES.match(text) else None


def _answer_number(name: str, scan: Scan) -> int | float | None:
    """A count or amount; for a duration fact a duration of its measure (一年半 -> 18) or a bare number."""
    kind = scan.vocab.facts[name].measure
    durations = [d for d in find_durations(scan) if d.kind == kind]
    if durations:
        return durations[0].amount
    match = _NUMBER.search(scan.text)
    if match:
        return to_number(match[0])
    bare = _BARE_CN.match(scan.text)
    return to_number(bare[1].replace("俩", "两")) if bare else None


def _typed(scan: Scan, name: str, value: object) -> object | None:
    """The value in its fact's type, or None when it does not fit."""
    fact = scan.vocab.facts[name]
    if value is None or range_problem(fact, value):
        return None
    if fact.type == "int":
        return int(value)
    return float(value) if fact.type == "float" else value


def _fill_choices(scan: Scan, missing: list[str], found: dict[str, object]) -> None:
    """A choice by synonym (公司 -> 企业) or by its own word (群众)."""
    extract_phrases(scan, scan.text)
    for name in missing:
        fact = scan.vocab.facts[name]
        if fact.type != "choice":
            continue
        value = scan.facts.get(name) or next((c for c in fact.choices if c in scan.text), None)
        if value is not None:
            found[name] = value


def _fill_bool(scan: Scan, missing: list[str], found: dict[str, object]) -> None:
    name = _only(scan, missing, ("bool",))
    answer = _answer_bool(scan.text)
    if name and answer is not None:
        found[name] = answer


def _fill_date(scan: Scan, missing: list[str], found: dict[str, object]) -> None:
    """The first possible date; also masks every date so its digits are not read as a number."""
    dates = [d.value for d in find_dates(scan) if d.value is not None and d.value <= scan.today]
    name = _only(scan, missing, ("date",))
    if name and dates:
        found[name] = dates[0]


def _fill_number(scan: Scan, missing: list[str], found: dict[str, object]) -> None:
    name = _only(scan, missing, ("int", "float"))
    if name:
        value = _typed(scan, name, _answer_number(name, scan))
        if value is not None:
            found[name] = value


def fill_asked(
    asked: tuple[str, ...],
    text: str,
    facts: dict[str, object],
    today: date | None = None,
    vocab: Vocabulary | None = None,
) -> dict[str, object]:
    """Facts for the asked names that `facts` (already read from the reply) does not hold.

    `today` places relative dates (上个月); it defaults to the system date."""
    vocab = vocab or default_vocabulary()
    missing = [name for name in asked if name in vocab.facts and name not in facts]
    if not missing:
        return {}
    scan = Scan(normalize(text), today or date.today(), vocab)
    found: dict[str, object] = {}
    _fill_choices(scan, missing, found)
    _fill_bool(scan, missing, found)
    _fill_date(scan, missing, found)
    _fill_number(scan, missing, found)
    return found
