"""Cron expressions for reminders: a small 5-field parser (minute hour day-of-month month day-of-week).

Standard (Vixie) cron semantics, written here because APScheduler's crontab numbers weekdays differently.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, time


@dataclass(frozen=True)
class CronSpec:
    """A parsed 5-field cron expression (minute hour day-of-month month day-of-week).

    Day-of-week uses cron numbering (0 and 7 = Sunday). As in Vixie cron, when both day fields are
    restricted (neither starts with ``*``) a day matches if *either* matches.
    """

    expr: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # cron numbering, 0 = Sunday
    days_star: bool
    weekdays_star: bool

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays
        if self.days_star and self.weekdays_star:
            return True
        if self.days_star:
            return dow
        if self.weekdays_star:
            return dom
        return dom or dow

    def times(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]


_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            n: i + 1
            for i, n in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
        },
    ),
    ("day-of-week", 0, 7, {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)


def parse_cron(expr: str) -> CronSpec:
    """Parse 'minute hour day-of-month month day-of-week' with * , - / and jan…dec / sun…sat names.

    Raises ValueError naming the field and the bad part, e.g. "minute 61 is out of range 0–59".
    """
    if not isinstance(expr, str):
        raise ValueError(f"expected a cron expression in quotes, got {expr!r}")
    parts = expr.split()
    if len(parts) != 5:
        raise ValueError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}")
    sets = []
    for text, (name, lo, hi, names) in zip(parts, _CRON_FIELDS):
        sets.append(_cron_field(text, name, lo, hi, names))
    minutes, hours, days, months, weekdays = sets
    weekdays = frozenset(d % 7 for d in weekdays)
    spec = CronSpec(
        " ".join(parts), minutes, hours, days, months, weekdays, parts[2].startswith("*"), parts[4].startswith("*")
    )
    if not spec.days_star and spec.weekdays_star:
        if not any(d <= max_days_in_month(m) for m in months for d in days):
            raise ValueError("never matches: no month in the month field has those days")
    return spec


def _cron_field(text: str, name: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ValueError(f"empty item in {name} field '{text}'")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step '{step_text}' in {name} field '{item}' (expected a whole number ≥ 1)")
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            a, _dash, b = base.partition("-")
            start, end = _cron_value(a, name, lo, hi, names), _cron_value(b, name, lo, hi, names)
            if start > end:
                raise ValueError(f"{name} range {base} runs backwards")
        else:
            start = _cron_value(base, name, lo, hi, names)
            end = hi if slash else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _cron_value(text: str, name: str, lo: int, hi: int, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(f"{name} '{text}' is not a number" + (" or a name" if names else ""))
    value = int(text)
    if not lo <= value <= hi:
        raise ValueError(f"{name} {value} is out of range {lo}–{hi}")
    return value


def max_days_in_month(month: int) -> int:
    return 29 if month == 2 else calendar.monthrange(2001, month)[1]
