"""PRC workdays for reminders: public holidays are days off, 调休 weekend days are workdays (chinese-calendar).

Outside the years chinese-calendar knows, Monday to Friday count as workdays (logged once per year).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger("zhibu.reminders")

HOLIDAY_MODES = ("next_workday", "previous_workday", "keep")
_MAX_SHIFT_DAYS = 60


_warned_years: set[int] = set()


def workday_status(day: date) -> tuple[bool, bool]:
    """(is this a PRC workday?, did the weekends-only fallback decide it?).

    chinese_calendar: public holidays are days off and 调休 weekend days are workdays. Outside the years it
    knows, Monday–Friday are workdays (logged once per year).
    """
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("chinese_calendar has no holiday data for %d: treating Monday–Friday as workdays", day.year)
        return day.weekday() < 5, True


def shift_for_holiday(day: date, mode: str) -> tuple[date, bool]:
    """Move `day` per `mode` (next_workday | previous_workday | keep); return (date, fallback used)."""
    if mode == "keep":
        return day, False
    if mode not in HOLIDAY_MODES:
        raise ValueError(f"unknown on_holiday mode {mode!r}")
    step = timedelta(days=1 if mode == "next_workday" else -1)
    fallback = False
    current = day
    for _ in range(_MAX_SHIFT_DAYS):
        ok, fb = workday_status(current)
        fallback = fallback or fb
        if ok:
            return current, fallback
        current += step
    return day, fallback  # pragma: no cover - no calendar has 60 days off in a row
