"""Durations (8个月, 一年半, 半年, 3天, 24学时) and the fact each one measures, by context.

Runs after the dates, so 3个月前 is already read as a date and masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.extract.common import Scan, clause_bounds, nearest_keyword, neighbour_window
from rules.extract.dates import add_months

_DURATION = re.compile(
    r"(?<![\d.])(?:(\d+(?:\.\d+)?)\s*(个半月|个多月|个月|年半|多年|年(?!级|代|度)|个星期|星期|周|天|个学时|学时|个课时|课时|个小时|小时)"
    r"|半(个月|年)|(下个?月)(?=就|要|将|准备|前|底|内|之内|以内|调|离|毕业))"
)  # 下个月就要调走: within a month

_MONTH_UNITS = {"个月": 1, "个多月": 1, "个半月": 1, "年": 12, "多年": 12, "年半": 12}
_DAY_UNITS = {"天": 1, "周": 7, "星期": 7, "个星期": 7}


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    kind: str  # months, days or hours
    amount: float


def _duration(m: re.Match[str]) -> Duration:
    if m[4]:  # 下个月 (on its way to happen): one month
        return Duration(m.start(), m.end(), "months", 1)
    if m[3]:  # 半年 / 半个月
        return Duration(m.start(), m.end(), "months", 6 if m[3] == "年" else 0.5)
    number, unit = float(m[1]), m[2]
    if unit in _MONTH_UNITS:
        extra = 0.5 if unit == "个半月" else (6 if unit == "年半" else 0)
        return Duration(m.start(), m.end(), "months", number * _MONTH_UNITS[unit] + extra)
    if unit in _DAY_UNITS:
        return Duration(m.start(), m.end(), "days", number * _DAY_UNITS[unit])
    return Duration(m.start(), m.end(), "hours", number)


# A threshold in a rule question (培养一年以上吗, 不少于3天吗) is not the user's duration.
_RULE_LEAD = re.compile(r"(?:需要|要|须|必须|不少于|至少|最少|满|超过|不足|不到|不满|达到)\s*$")
_RULE_TAIL = re.compile(r"^\s*(?:以上|以下|及以上|或以上)")


def find_durations(scan: Scan) -> list[Duration]:
    """Durations in text order, masked; rule thresholds are masked but left out."""
    durations = []
    for m in _DURATION.finditer(scan.text):
        lead, tail = scan.text[max(0, m.start() - 3) : m.start()], scan.text[m.end() : m.end() + 3]
        if not (_RULE_LEAD.search(lead) or _RULE_TAIL.match(tail)):
            durations.append(_duration(m))
        scan.mask(m.start(), m.end())
    return durations


def _keywords(scan: Scan, kind: str) -> list[tuple[str, re.Pattern[str]]]:
    """(fact, keywords) of the duration facts measured in this kind (months, days or hours)."""
    return scan.vocab.derived("duration_keywords", _build_keywords).get(kind, [])


def _build_keywords(vocab) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    out: dict[str, list] = {}
    for f in vocab.facts.values():
        if f.yaml_type == "duration" and f.read.get("keywords") is not None:
            out.setdefault(f.measure, []).append((f.name, f.read["keywords"]))
    return out


def _default(scan: Scan, kind: str) -> str | None:
    """The duration fact of this kind read even without a keyword (24学时 is training hours)."""
    return next(
        (
            f.name
            for f in scan.vocab.facts.values()
            if f.yaml_type == "duration" and f.measure == kind and f.read.get("default")
        ),
        None,
    )


def _gap_facts(vocab) -> tuple:
    return tuple(f for f in vocab.facts.values() if f.read.get("gaps"))


def assign_durations(scan: Scan, original: str, durations: list[Duration]) -> None:
    spans = [(d.start, d.end) for d in durations]
    for index, item in enumerate(durations):
        window = neighbour_window(spans, index, clause_bounds(original, item.start))
        name = nearest_keyword(scan.text, spans[index], window, _keywords(scan, item.kind)) or _default(scan, item.kind)
        if name is None:
            continue
        fact = scan.vocab.facts[name]
        # whole months: 5个半月 is not yet 6 months
        scan.put(name, int(item.amount) if fact.type == "int" else float(item.amount))


def extract_gaps(scan: Scan) -> None:
    """Read the split forms ('党员大会3个月没开了', '党费8个月没交') before the general pass: a date fact
    becomes today minus the duration, a duration fact the number of months."""
    for fact in scan.vocab.derived("gap_facts", _gap_facts):
        for spec in fact.read["gaps"]:
            for m in list(spec.regex.finditer(scan.text)):
                inner = _DURATION.search(m[0])
                if inner is None:
                    continue
                months = int(_duration(inner).amount)
                scan.put(fact.name, add_months(scan.today, -months) if fact.type == "date" else months)
                scan.mask(m.start() + inner.start(), m.start() + inner.end())


def extract_durations(scan: Scan, original: str) -> None:
    extract_gaps(scan)
    assign_durations(scan, original, find_durations(scan))
