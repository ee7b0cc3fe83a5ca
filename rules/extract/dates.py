"""Dates: find absolute and relative dates, then decide which date fact each one is.

A month without a day means the 1st of that month, a part of it its earliest day (中旬 the 11th, 下旬 the
21st, 底 the last day); a year alone means 1 January, 年底 31 December, 年中 1 July. A month and day without a
year is this year, or last year when that would be in the future.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rules.extract.common import Scan, clause_bounds, nearest_keyword, neighbour_window
from rules.validate import date_problem

FOUNDING = date(1921, 7, 1)


@dataclass(frozen=True)
class DateMention:
    """A date found in the text: its span, the date (None when impossible) and how it was written."""

    start: int
    end: int
    value: date | None
    written: str


_FUTURE_MARK = re.compile(r"^\s*(?:就要|将要|要|将|准备|计划|打算)")
# A date that ends something (预备期到2026年3月1日, 2026年3月1日预备期满) is not a start date.
_END_MARK = re.compile(r"(?:到|至|截至|截止|满)\s*$")
_END_AFTER = re.compile(r"^\s*(?:预备期|任期)?(?:满|期满|到期|结束|届满)")

_PART = r"(上旬|中旬|下旬|初|底|末)"  # a part of a month: its earliest day (底: the last day)
# 2024年3、4月份: one of two months, the first is taken (the earlier date: no term is called over too soon... or late)
_ABS_FULL = re.compile(
    rf"(?<!\d)(\d{{4}})\s*年\s*(?:的\s*)?(\d{{1,2}})(?:\s*(?:[、,~-]|到|至|或)\s*\d{{1,2}})?\s*月份?\s*"
    rf"(?:(\d{{1,2}})\s*[日号]|{_PART})?"
)
_ABS_SEP = re.compile(r"(?<![\d.])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d.])")
_REL_YEAR = re.compile(
    rf"(大前年|前年|去年|今年)(?:的)?(?:(\d{{1,2}})\s*月份?(?:(\d{{1,2}})\s*[日号]|{_PART})?|年?(底|初|末|中))?"
)
_REL_MONTH = re.compile(r"(上上个?月|上个月|上月|这个月|本月)(?:(\d{1,2})\s*[日号])?")
_REL_DAY = re.compile(r"大前天|前天|昨天|今天|上个?星期|上个?礼拜|上周")
_AGO = re.compile(
    r"(?:(\d+(?:\.\d+)?)\s*(个半月|个月|年半|年|个星期|星期|周|天)|半(个月|年))\s*(?:之|以)?前(?:的今天|的这一天)?"
)  # 一年前的今天 is one date, a year ago
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_MONTH_ONLY = re.compile(rf"(?<![\d.年])(\d{{1,2}})\s*月份?{_PART}?(?![\d个])")
_YEAR_ONLY = re.compile(r"(?<![\d.])(\d{4})\s*年\s*(?:的\s*)?(?:年?(底|末|初|中)(?!旬))?(?![\d级度])")

_YEAR_OFFSETS = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2, "大前天": 3}


def format_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def add_months(value: date, months: int) -> date:
    """Shift by whole months, clamping the day to the month's length (3月31日 - 1 month = 2月28日)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    for day in (value.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise ValueError("unreachable")


def make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _not_future(today: date, month: int, day: int) -> date | None:
    """A month and day without a year: this year, or last year if that is still to come."""
    value = make_date(today.year, month, day)
    if value is None and month == 2 and day == 29:
        value = make_date(today.year - 1, month, day)  # a leap day last year is still possible
    if value is not None and value > today:
        value = make_date(today.year - 1, month, day)
    return value


def _day(year: int, month: int, day: str | None, part: str | None) -> date | None:
    """The day written, or the earliest day of the part of the month written (底, 末: the last day), or the 1st."""
    if day:
        return make_date(year, month, int(day))
    if part in ("底", "末"):
        return make_date(year, month, calendar.monthrange(year, month)[1]) if 1 <= month <= 12 else None
    return make_date(year, month, {"中旬": 11, "下旬": 21}.get(part or "", 1))


def _abs_full(m: re.Match[str], today: date) -> date | None:
    return _day(int(m[1]), int(m[2]), m[3], m[4])


def _abs_sep(m: re.Match[str], today: date) -> date | None:
    return make_date(int(m[1]), int(m[3]), int(m[4]))


def _rel_year(m: re.Match[str], today: date) -> date | None:
    if m[1] == "今年" and not (m[2] or m[5]):
        return None  # a bare 今年 (今年17岁) is not a date
    year = today.year - _YEAR_OFFSETS[m[1]]
    if m[5]:  # 去年底 is the end of December (as 12月底), 年初 1 January, 年中 1 July
        return date(year, 12, 31) if m[5] in "底末" else date(year, 7 if m[5] == "中" else 1, 1)
    return _day(year, int(m[2] or 1), m[3], m[4])


def _rel_month(m: re.Match[str], today: date) -> date | None:
    back = 2 if m[1].startswith("上上") else 1 if m[1] in ("上个月", "上月") else 0
    base = add_months(today.replace(day=1), -back)
    return make_date(base.year, base.month, int(m[2] or 1))


def _rel_day(m: re.Match[str], today: date) -> date | None:
    word = m[0]
    return today - timedelta(days=_DAY_OFFSETS.get(word, 7))


def _ago(m: re.Match[str], today: date) -> date | None:
    if m[3]:  # 半个月前 / 半年前
        return today - timedelta(days=15) if m[3] == "个月" else add_months(today, -6)
    amount, unit = float(m[1]), m[2]
    if unit in ("天",):
        return today - timedelta(days=int(amount))
    if unit in ("周", "星期", "个星期"):
        return today - timedelta(days=int(amount * 7))
    months = {"个月": amount, "个半月": amount + 0.5, "年": amount * 12, "年半": amount * 12 + 6}[unit]
    return add_months(today, -int(months))


def _month_day(m: re.Match[str], today: date) -> date | None:
    return _not_future(today, int(m[1]), int(m[2]))


def _month_only(m: re.Match[str], today: date) -> date | None:
    value = _not_future(today, int(m[1]), 1)
    value = value and _day(value.year, value.month, None, m[2])
    return value and (_day(value.year - 1, value.month, None, m[2]) if value > today else value)


def _year_only(m: re.Match[str], today: date) -> date | None:
    if m[2] in ("底", "末"):
        return make_date(int(m[1]), 12, 31)
    return make_date(int(m[1]), 7 if m[2] == "中" else 1, 1)


# Most specific first: each pass masks what it read.
_PARSERS = (
    (_ABS_FULL, _abs_full),
    (_ABS_SEP, _abs_sep),
    (_REL_YEAR, _rel_year),
    (_REL_MONTH, _rel_month),
    (_AGO, _ago),  # before 今天: 一年前的今天
    (_REL_DAY, _rel_day),
    (_MONTH_DAY, _month_day),
    (_MONTH_ONLY, _month_only),
    (_YEAR_ONLY, _year_only),
)


def find_dates(scan: Scan) -> list[DateMention]:
    """Every date mention, in text order; their spans are masked in the scan."""
    mentions: list[DateMention] = []
    for pattern, parse in _PARSERS:
        for m in list(pattern.finditer(scan.text)):
            if m[0] == "今年":
                continue
            mentions.append(DateMention(m.start(), m.end(), parse(m, scan.today), m[0]))
            scan.mask(m.start(), m.end())
    return sorted(mentions, key=lambda d: d.start)


def assign_dates(scan: Scan, original: str, mentions: list[DateMention]) -> None:
    """Give each date to the fact named by its nearest keyword; report impossible dates."""
    spans = [(d.start, d.end) for d in mentions]
    keywords = date_keywords(scan)
    for index, mention in enumerate(mentions):
        if mention.value is None:
            scan.problem(f"日期不存在：{mention.written}，请核对。")
            continue
        window = neighbour_window(spans, index, clause_bounds(original, mention.start))
        name = nearest_keyword(scan.text, spans[index], window, keywords)
        if (
            name is None
            or _END_MARK.search(original[window[0] : mention.start])
            or _END_AFTER.match(original[mention.end : window[1]])
        ):
            continue
        if mention.value > scan.today and _FUTURE_MARK.match(original[mention.end : window[1]]):
            continue  # a plan (明年3月要换届), not a past event
        if _put_checked(scan, name, mention.value):
            scan.written.setdefault(name, mention.written)


def date_keywords(scan: Scan) -> list[tuple[str, re.Pattern[str]]]:
    """(fact, keywords) of every date fact: which fact a date belongs to, by the keyword nearest to it."""
    return scan.vocab.derived(
        "date_keywords",
        lambda vocab: [
            (f.name, f.read["keywords"])
            for f in vocab.facts.values()
            if f.yaml_type == "date" and f.read.get("keywords") is not None
        ],
    )


def _put_checked(scan: Scan, name: str, value: date) -> bool:
    """Record the date unless it is impossible (reported instead); whether it is now the fact's value."""
    problem = date_problem(scan.vocab.facts[name], value, scan.today)
    if problem:
        scan.problem(problem)
        return False
    scan.put(name, value)
    return scan.facts[name] == value


def extract_dates(scan: Scan, original: str) -> None:
    assign_dates(scan, original, find_dates(scan))
