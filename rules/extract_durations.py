"""Durations (8个月, 一年半, 半年, 3天, 24学时) and the fact each one measures, by context.

Runs after the dates, so 3个月前 is already read as a date and masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.extract_common import Scan, clause_bounds, nearest_keyword, neighbour_window
from rules.extract_dates import add_months

_DURATION = re.compile(
    r"(?<![\d.])(?:(\d+(?:\.\d+)?)\s*(个半月|个多月|个月|年半|多年|年(?!级|代|度)|个星期|星期|周|天|学时|课时|个小时|小时)"
    r"|半(个月|年))")

_MONTH_UNITS = {"个月": 1, "个多月": 1, "个半月": 1, "年": 12, "多年": 12, "年半": 12}
_DAY_UNITS = {"天": 1, "周": 7, "星期": 7, "个星期": 7}

_MEETINGS = (("last_member_assembly", r"(?:支部)?党员大会|支部大会"),
             ("last_branch_committee", r"支委会|支部委员会"),
             ("last_party_group", r"党小组会?"),
             ("last_theme_day", r"主题党日"),
             ("last_org_life_meeting", r"组织生活会"),
             ("last_democratic_review", r"民主评议"))
_NOT_HELD = r"(?:没|未|没有)(?:开|召开|举行|搞|组织|过)(?:过)?"
_DUR_TEXT = r"(?:\d+(?:\.\d+)?\s*(?:个半月|个多月|个月|年半|年)|半(?:个月|年))"
_GAP_FILL = r"(?:已经|已|都|有|连续)?"
_GAP_TAIL = r"(?:了|都|也|还)?"


def _gap_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """A subject, a duration, then a negated verb: '党员大会3个月没开了', '党费8个月没交'.

    Meetings give the date of the last meeting; the others give a number of months."""
    meetings = [(name, rf"(?:{words})", _NOT_HELD, rf"|{_DUR_TEXT}{_GAP_TAIL}{_NOT_HELD}(?:{words})")
                for name, words in _MEETINGS]
    others = [("months_unpaid", r"党费", r"(?:没|未|没有|欠)(?:交|缴)", ""),
              ("months_no_org_life", r"组织生活(?!会)", r"(?:没|未|没有)(?:参加|过)", "")]
    return [(name, re.compile(rf"{subject}{_GAP_FILL}{_DUR_TEXT}{_GAP_TAIL}{verb}{extra}"))
            for name, subject, verb, extra in meetings + others]


_GAPS = _gap_patterns()


DURATION_KEYWORDS: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(p)) for name, p in (
    ("months_unpaid", r"(?:没|未|不|欠|没有)(?:按时)?(?:交|缴)(?:纳)?(?:过)?(?:了)?党费|党费.{0,4}?(?:没|未|不|欠)(?:有)?(?:交|缴)"),
    ("months_no_org_life", r"(?:没|未|不|没有)(?:参加|参与|过|来)(?:过)?(?:党的)?组织生活(?!会)"
                           r"|组织生活(?!会).{0,4}?(?:没|未|不)(?:有)?(?:参加|来)"),
    ("months_lost_contact", r"失联|联系不上|失去联系|联系不到|找不到人|杳无音信"),
    ("months_away", r"外出|外地|打工|务工|在外|出去"),
    ("postpone_months", r"延期|推迟|推后|延后|换届.{0,6}?延长|延长.{0,6}?换届"),
    ("extended_months", r"延长"),
    ("leaving_within_months", r"调走|调离|离开|离职|毕业|辞职|调动"),
    ("project_months", r"工期|项目|工程"),
    ("training", r"培训"),
    ("training_months", r"培养|考察"),
)]


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    kind: str      # months, days or hours
    amount: float


def _duration(m: re.Match[str]) -> Duration:
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
        lead, tail = scan.text[max(0, m.start() - 3):m.start()], scan.text[m.end():m.end() + 3]
        if not (_RULE_LEAD.search(lead) or _RULE_TAIL.match(tail)):
            durations.append(_duration(m))
        scan.mask(m.start(), m.end())
    return durations


def _fact_for(keyword: str | None, duration: Duration) -> str | None:
    """Map a keyword to a fact, given the duration's unit; None when they do not fit."""
    if keyword == "training" or (keyword is None and duration.kind == "hours"):
        return {"days": "training_days", "hours": "training_hours"}.get(duration.kind)
    if keyword is None or duration.kind != "months":
        return None
    return keyword


def assign_durations(scan: Scan, original: str, durations: list[Duration]) -> None:
    spans = [(d.start, d.end) for d in durations]
    for index, item in enumerate(durations):
        window = neighbour_window(spans, index, clause_bounds(original, item.start))
        name = _fact_for(nearest_keyword(scan.text, spans[index], window, DURATION_KEYWORDS), item)
        if name is None:
            continue
        if name in ("training_days", "training_hours"):
            scan.put(name, float(item.amount))
        else:
            scan.put(name, int(item.amount))  # whole months: 5个半月 is not yet 6 months


def extract_gaps(scan: Scan) -> None:
    """Read the split forms ('党员大会3个月没开了', '党费8个月没交') before the general pass."""
    for name, pattern in _GAPS:
        for m in list(pattern.finditer(scan.text)):
            inner = _DURATION.search(m[0])
            if inner is None:
                continue
            months = int(_duration(inner).amount)
            scan.put(name, add_months(scan.today, -months) if name.startswith("last_") else months)
            scan.mask(m.start() + inner.start(), m.start() + inner.end())


def extract_durations(scan: Scan, original: str) -> None:
    extract_gaps(scan)
    assign_durations(scan, original, find_durations(scan))
