"""The fact extractor: turn a user's situation into a topic and typed facts (no LLM, no I/O).

extract() reads free text; echo() shows back what was understood; parse_facts() reads
`name=value` pairs given on the command line; fill_asked() reads a short reply to a follow-up
question (see rules/extract_answers.py). Fact names, types and ranges come from
rules.vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from common.numerals import parse_number
from rules.extract_answers import fill_asked
from rules.extract_checks import check_facts, range_problem, show_number
from rules.extract_common import Scan, normalize
from rules.extract_context import extract_age, extract_context, extract_income, mask_sponsor_phrases
from rules.extract_counts import extract_counts
from rules.extract_dates import extract_dates, format_date
from rules.extract_durations import extract_durations
from rules.extract_topic import infer_topic
from rules.vocabulary import FACTS

__all__ = ["Extraction", "echo", "extract", "fill_asked", "parse_facts"]


@dataclass(frozen=True)
class Extraction:
    """What was read from one message."""

    topic: str | None                 # one of vocabulary.TOPICS, or None when the text is not a situation
    facts: dict[str, object]          # fact name -> int | float | bool | str (choice) | date, per FACTS
    problems: tuple[str, ...] = ()    # Chinese messages for absurd or contradictory input


def extract(text: str, today: date) -> Extraction:
    """Read the topic and facts of a situation. Works on pipeline-normalized or raw simplified text."""
    original = normalize(text)
    scan = Scan(original, today)
    extract_dates(scan, original)       # first: dates contain numbers and 月/日
    extract_income(scan)
    extract_age(scan)
    extract_durations(scan, original)
    mask_sponsor_phrases(scan)
    extract_counts(scan)
    extract_context(scan, original)
    check_facts(scan)
    return Extraction(infer_topic(original, scan.facts), dict(scan.facts), tuple(scan.problems))


# --- echo -------------------------------------------------------------------------------------

def show_value(name: str, value: object) -> str:
    """One fact's value as shown to the user: 2 名, 2025年3月1日, 是, 企业."""
    fact = FACTS[name]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, (int, float)):
        return f"{show_number(value)} {fact.unit}".rstrip()
    return str(value)


def echo(facts: dict[str, object]) -> str:
    """'我理解为：正式党员 2 名；单位类型 企业。' in vocabulary order; '' when there is nothing."""
    parts = [f"{FACTS[name].label} {show_value(name, facts[name])}" for name in FACTS if name in facts]
    parts += [f"{name} {facts[name]}" for name in facts if name not in FACTS]
    return f"我理解为：{'；'.join(parts)}。" if parts else ""


# --- parse_facts ------------------------------------------------------------------------------

_TRUE = {"true", "yes", "y", "1", "是", "对", "有", "t"}
_FALSE = {"false", "no", "n", "0", "否", "不是", "没有", "无", "f"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _parse_value(name: str, raw: str) -> object:
    """Convert one string per the fact's type; raises ValueError with a bilingual message."""
    fact = FACTS[name]
    text = raw.strip()
    if fact.type == "bool":
        if text.lower() in _TRUE or text.lower() in _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"{name}（{fact.label}）应为 是/否（true/false），收到“{raw}” / expected a boolean")
    if fact.type == "choice":
        if text in fact.choices:
            return text
        raise ValueError(f"{name}（{fact.label}）应为 {'、'.join(fact.choices)} 之一，收到“{raw}” "
                         f"/ expected one of {', '.join(fact.choices)}")
    if fact.type == "date":
        return _parse_date(name, raw)
    return _parse_numeric(name, raw)


def _parse_date(name: str, raw: str) -> date:
    match = _DATE.fullmatch(raw.strip())
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise ValueError(f"{name}（{FACTS[name].label}）应为日期，如 2025-03-01，收到“{raw}” "
                     f"/ expected a date YYYY-MM-DD")


def _parse_numeric(name: str, raw: str) -> int | float:
    fact = FACTS[name]
    text = raw.strip()
    negative = text.startswith("-")
    number = parse_number(text.lstrip("-"))
    if number is None:
        raise ValueError(f"{name}（{fact.label}）应为数字，收到“{raw}” / expected a number")
    number = -number if negative else number
    problem = range_problem(name, number)
    if problem:
        raise ValueError(f"{problem} / {name}: {raw} is out of range")
    return int(number) if fact.type == "int" else float(number)


def parse_facts(pairs: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    """Typed facts from `name=value` strings, and a problem for each unknown name or bad value.

    The key 'topic' is not a fact and is skipped (the caller reads it)."""
    facts: dict[str, object] = {}
    problems: list[str] = []
    for name, raw in pairs.items():
        if name == "topic":
            continue
        if name not in FACTS:
            problems.append(f"未知的事实名：{name} / unknown fact name: {name}")
            continue
        try:
            facts[name] = _parse_value(name, str(raw))
        except ValueError as error:
            problems.append(str(error))
    return facts, problems
