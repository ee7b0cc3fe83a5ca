"""Reminder text: the placeholders a text may use and their values for one occurrence."""

from __future__ import annotations

import string
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: reminders.schedule imports this module
    from reminders.schedule import Occurrence, Reminder, TermReminder

WEEKDAY_CN = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
QUARTER_CN = ("第一季度", "第二季度", "第三季度", "第四季度")

#: Placeholders every reminder text may use, and the extra ones of the 换届 text.
PLACEHOLDERS = ("date", "weekday", "month", "quarter", "year")
TERM_PLACEHOLDERS = PLACEHOLDERS + ("months", "term_years", "organization")


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in `text`; ValueError for unbalanced braces, formats or conversions."""
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("unbalanced { or } (write {{ or }} for a literal brace)") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} cannot take a format or conversion")
        names.append(name)
    return names


def chinese_date(day: date) -> str:
    """date(2026, 12, 1) → '2026年12月1日'."""
    return f"{day.year}年{day.month}月{day.day}日"


def render_text(reminder: Reminder | TermReminder, occurrence: Occurrence) -> str:
    """Fill {date} (2026年12月1日) {weekday} (星期二) {month} (12月) {quarter} (第四季度) {year} (2026),
    and for the 换届 text {months} (6), {term_years} (5) and {organization} (本党委), from the occurrence."""
    day = occurrence.event_date
    values = {
        "date": chinese_date(day),
        "weekday": WEEKDAY_CN[day.weekday()],
        "month": f"{day.month}月",
        "quarter": QUARTER_CN[(day.month - 1) // 3],
        "year": str(day.year),
        "months": "" if occurrence.months_before is None else str(occurrence.months_before),
        "term_years": "" if occurrence.term_years is None else str(occurrence.term_years),
        "organization": occurrence.organization or "",
    }
    return reminder.text.format_map(values)
