"""Pure reminder scheduling: schedule kinds, PRC workdays, occurrences, term ends and reminder text.

Nothing here reads the clock: every "now" is passed in, and every moment is timezone-aware (zoneinfo).

The path from a schedule to a send moment, for every kind:

1. the schedule gives a *nominal* date (cron: a nominal date and time);
2. ``on_holiday`` may move it to the next or previous PRC workday (knowledge/holidays.yaml, else
   chinese_calendar: public holidays are days off, 调休 weekend workdays are workdays); that is the
   **event date** the text talks about;
3. ``lead_days`` calendar days before the event date, at the send time (the reminder's ``time``, or the
   subscription's override) in the chat's zone, is the **due** moment.

chinese_calendar covers a fixed range of years (2004–2026 in 1.11) and raises NotImplementedError outside
it; for a year holidays.yaml does not list either, the shift falls back to "Saturday and Sunday are the only days off", logs a warning once per year
and marks the occurrence ``calendar_fallback=True``.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reminders.cron import CronSpec, max_days_in_month, parse_cron  # noqa: F401  (CronSpec, parse_cron re-exported)
from reminders.text import (  # noqa: F401  (re-exported)
    PLACEHOLDERS,
    QUARTER_CN,
    TERM_PLACEHOLDERS,
    WEEKDAY_CN,
    chinese_date,
    placeholders_in,
    render_text,
)
from reminders.workdays import (  # noqa: F401  (re-exported)
    HOLIDAY_MODES,
    HolidayCalendar,
    shift_for_holiday,
    workday_status,
)

log = logging.getLogger("zhibu.reminders")

DEFAULT_TZ_NAME = "Asia/Shanghai"
DEFAULT_TZ = ZoneInfo(DEFAULT_TZ_NAME)

KINDS = ("monthly", "monthly_weekday", "quarterly", "yearly", "weekly", "cron")

#: Reminder id of the 换届 (term-end) reminders; reserved, a YAML reminder cannot use it.
TERM_REMINDER_ID = "term_end"
#: The organization-type row of term_end.years used when /term names no type.
OTHER_ORG_TYPE = "其他"
#: Months before the term end at which the 换届 reminders go out. These come from issue 6, not from a
#: regulation: facts.md marks any "X months before 届满" timing as unverified. The YAML may override them.
TERM_MONTHS_BEFORE = (6, 3, 1)


# How far before `after` the nominal scan starts, beyond lead_days: longer than any holiday block.
_SHIFT_MARGIN_DAYS = 31
# A schedule with no occurrence in this many years is treated as exhausted (cron on Feb 29 needs 8).
_SCAN_YEARS = 9


# ---------------------------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class MonthlyDay:
    """Every month on `day` (1–31); a day past the month's end means its last day (31 → 30 Apr, 28/29 Feb)."""

    day: int
    kind = "monthly"


@dataclass(frozen=True)
class MonthlyWeekday:
    """Every month on the `nth` (1–4, or -1 for the last) `weekday` (0 = Monday … 6 = Sunday)."""

    nth: int
    weekday: int
    kind = "monthly_weekday"


@dataclass(frozen=True)
class Quarterly:
    """Every quarter on `day` of its `month` (1–3: first, second or third month of the quarter)."""

    month: int
    day: int
    kind = "quarterly"


@dataclass(frozen=True)
class Yearly:
    """Every year on `month`/`day`; 29 Feb falls on 28 Feb in common years."""

    month: int
    day: int
    kind = "yearly"


@dataclass(frozen=True)
class Weekly:
    """Every week on `weekday` (0 = Monday … 6 = Sunday)."""

    weekday: int
    kind = "weekly"


@dataclass(frozen=True)
class Cron:
    """A cron expression; its own minute and hour fields give the time."""

    expr: str
    spec: CronSpec = field(compare=False, repr=False)
    kind = "cron"


Schedule = MonthlyDay | MonthlyWeekday | Quarterly | Yearly | Weekly | Cron


@dataclass(frozen=True)
class Reminder:
    """One reminder definition from knowledge/reminders.yaml."""

    id: str
    title: str
    text: str
    schedule: Schedule
    time: time | None  # None only for cron schedules
    lead_days: int = 0
    on_holiday: str = "keep"
    tags: tuple[str, ...] = ()
    source: str | None = None
    line: int = 0
    #: knowledge/holidays.yaml, attached by the loader: its years override chinese_calendar.
    calendar: HolidayCalendar | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TermReminder:
    """The 换届 reminder: its text, send time and the months before the term end (the YAML `term_end`)."""

    title: str
    text: str
    time: time
    months_before: tuple[int, ...] = TERM_MONTHS_BEFORE
    source: str | None = None
    id: str = TERM_REMINDER_ID
    line: int = 0
    #: Organization level → how the text names its committee (本支部委员会); the first is the default level.
    levels: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: Organization type (村, 机关 … and 其他 for none given) → level → term length in years.
    years: Mapping[str, Mapping[str, int]] = field(default_factory=dict, hash=False)

    @property
    def org_types(self) -> tuple[str, ...]:
        return tuple(self.years)

    @property
    def default_level(self) -> str | None:
        return next(iter(self.levels), None)

    def term_years(self, org_type: str | None, level: str | None) -> int:
        """The term length for an organization type and level (None: 其他 and the default level)."""
        row = self.years.get(org_type or OTHER_ORG_TYPE)
        if row is None:
            raise ValueError(f"unknown organization type {org_type!r} (expected one of {'、'.join(self.years)})")
        level = level or self.default_level
        if level not in row:
            raise ValueError(f"unknown organization level {level!r} (expected one of {'、'.join(self.levels)})")
        return row[level]

    def organization(self, level: str | None) -> str:
        """How the text names the committee of `level` (None: the default level), e.g. 本党委."""
        return self.levels.get(level or self.default_level or "", "")


@dataclass(frozen=True)
class Occurrence:
    """One send of a reminder.

    `due_at` is the aware send moment (in the chat's zone); `event_date` the meeting or deadline date the
    text talks about. `key` identifies the occurrence independently of send time and zone (the event date;
    cron: event date and time; 换届: term end and months before): storage makes it unique per chat and
    reminder, so a changed send time or zone does not send the same event twice.
    """

    due_at: datetime
    event_date: date
    key: str = ""
    nominal_date: date | None = None
    calendar_fallback: bool = False
    months_before: int | None = None
    term_years: int | None = None
    organization: str | None = None

    @property
    def shifted(self) -> bool:
        """True when on_holiday moved the event off its nominal date."""
        return self.nominal_date is not None and self.nominal_date != self.event_date


# ---------------------------------------------------------------------------------------------- parsing


_WEEKDAY_NAMES = {
    **{n: i for i, n in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{n: i for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")},
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")},
    "周天": 6,
    "星期天": 6,
}


def parse_weekday(value: object) -> int:
    """mon…sun, monday…sunday, 周一…周日, 星期一…星期日, or ISO 1–7 (1 = Monday).

    Returns 0–6 with 0 = Monday."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= 7:
            return value - 1
        raise ValueError(f"expected a weekday mon…sun or 1–7 (1 = Monday), got {value}")
    if isinstance(value, str) and value.strip().lower() in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[value.strip().lower()]
    raise ValueError(f"expected a weekday mon…sun or 1–7 (1 = Monday), got {value!r}")


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: object) -> time:
    """'09:00' or '9:00' → time(9, 0). Raises ValueError with a message an admin can act on."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 9:00 as the sexagesimal number 540.
        hhmm = f"{value // 60}:{value % 60:02d}"
        raise ValueError(
            f'expected a time "HH:MM" in quotes, got the number {value} '
            f'(YAML reads an unquoted {hhmm} as a number: write "{hhmm}")'
        )
    if isinstance(value, str):
        m = _HHMM.match(value.strip())
        if m:
            return time(int(m.group(1)), int(m.group(2)))
    raise ValueError(f'expected a time "HH:MM" (00:00–23:59), got {value!r}')


def parse_tz(name: str) -> ZoneInfo:
    """An IANA zone name ('Asia/Shanghai') → ZoneInfo; ValueError for an unknown name (for /remind tz)."""
    if not isinstance(name, str) or not name.strip() or ".." in name or name.startswith("/"):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as {DEFAULT_TZ_NAME})")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as {DEFAULT_TZ_NAME})") from None


def resolve_tz(name: str | None) -> ZoneInfo:
    """A stored zone name or None → ZoneInfo, Asia/Shanghai when missing or no longer valid."""
    if not name:
        return DEFAULT_TZ
    try:
        return parse_tz(name)
    except ValueError:
        log.warning("unknown time zone %r in the database; using %s", name, DEFAULT_TZ_NAME)
        return DEFAULT_TZ


# ---------------------------------------------------------------------------------------------- occurrences


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31 Mar − 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date:
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = _month_day(year, month, 31)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _months_from(start: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    for _ in range(12 * _SCAN_YEARS + 12):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def nominal_dates(schedule: Schedule, start: date) -> Iterator[date]:
    """The schedule's dates on or after `start`, in order (cron: each day with at least one match)."""
    if isinstance(schedule, Weekly):
        day = start + timedelta(days=(schedule.weekday - start.weekday()) % 7)
        for _ in range(53 * _SCAN_YEARS):
            yield day
            day += timedelta(days=7)
        return
    if isinstance(schedule, Cron):
        day = start
        for _ in range(366 * _SCAN_YEARS):
            if schedule.spec.matches_day(day):
                yield day
            day += timedelta(days=1)
        return
    for year, month in _months_from(start):
        if isinstance(schedule, MonthlyDay):
            day = _month_day(year, month, schedule.day)
        elif isinstance(schedule, MonthlyWeekday):
            day = _nth_weekday(year, month, schedule.nth, schedule.weekday)
        elif isinstance(schedule, Quarterly):
            if (month - 1) % 3 != schedule.month - 1:
                continue
            day = _month_day(year, month, schedule.day)
        elif isinstance(schedule, Yearly):
            if month != schedule.month:
                continue
            day = _month_day(year, month, schedule.day)
        else:  # pragma: no cover - the loader only builds known kinds
            raise TypeError(f"unknown schedule {schedule!r}")
        if day >= start:
            yield day


def _send_times(reminder: Reminder, send_time: time | None) -> list[time]:
    if send_time is not None:
        return [send_time]
    if isinstance(reminder.schedule, Cron):
        return reminder.schedule.spec.times()
    return [reminder.time or time(9, 0)]


def _localize(day: date, at: time, tz: tzinfo) -> datetime:
    """Wall-clock `day at` in `tz`, normalized (a time in a DST gap moves forward by the gap)."""
    moment = datetime.combine(day, at, tzinfo=tz)
    return moment.astimezone(timezone.utc).astimezone(tz)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def iter_occurrences(
    reminder: Reminder, after: datetime, tz: tzinfo, send_time: time | None = None
) -> Iterator[Occurrence]:
    """Every occurrence with due_at > `after`, in order, without duplicates (due_at strictly increasing)."""
    _require_aware(after, "after")
    times = _send_times(reminder, send_time)
    cron = isinstance(reminder.schedule, Cron)
    lead = timedelta(days=reminder.lead_days)
    start = after.astimezone(tz).date() - lead - timedelta(days=_SHIFT_MARGIN_DAYS)
    last = after
    for nominal in nominal_dates(reminder.schedule, start):
        event, fallback = shift_for_holiday(nominal, reminder.on_holiday, reminder.calendar)
        for at in times:
            due = _localize(event - lead, at, tz)
            if due <= last:
                continue
            last = due
            key = f"{event.isoformat()}T{at:%H:%M}" if cron else event.isoformat()
            yield Occurrence(due, event, key, nominal, fallback)


def next_occurrences(
    reminder: Reminder, after: datetime, tz: tzinfo, send_time: time | None = None, count: int = 1
) -> list[Occurrence]:
    """The next `count` occurrences due strictly after `after` (aware). `send_time` overrides the time
    (cron: replaces the minute and hour fields, so one send per matching day)."""
    out: list[Occurrence] = []
    if count <= 0:
        return out
    for occ in iter_occurrences(reminder, after, tz, send_time):
        out.append(occ)
        if len(out) >= count:
            break
    return out


def occurrences_between(
    reminder: Reminder, start: datetime, end: datetime, tz: tzinfo, send_time: time | None = None
) -> list[Occurrence]:
    """Occurrences with start < due_at ≤ end (both aware), oldest first: what a catch-up has to consider."""
    _require_aware(end, "end")
    out = []
    for occ in iter_occurrences(reminder, start, tz, send_time):
        if occ.due_at > end:
            break
        out.append(occ)
    return out


# ---------------------------------------------------------------------------------------------- 换届


def term_end(term_start: date, years: int) -> date:
    """The anniversary of `term_start` after `years` (29 Feb → 28 Feb in a common year)."""
    return add_months(term_start, 12 * years)


def term_reminders(
    term_start: date,
    years: int,
    tz: tzinfo,
    send_time: time | None = None,
    months_before: tuple[int, ...] = TERM_MONTHS_BEFORE,
    organization: str | None = None,
) -> list[Occurrence]:
    """换届 reminders `months_before` (default 6, 3, 1) months before the term ends, oldest first.

    The term ends on the anniversary of `term_start` after `years` (TermReminder.term_years: by organization
    type and level, from the YAML); `event_date` is that end date. The 6/3/1 months are the project's
    choice (issue 6), not a regulation. `organization` (本党委 …) fills the text's {organization}.
    """
    end = term_end(term_start, years)
    at = send_time or time(9, 0)
    out = []
    for months in sorted(set(months_before), reverse=True):
        send_day = add_months(end, -months)
        out.append(
            Occurrence(
                _localize(send_day, at, tz),
                end,
                f"{end.isoformat()}/{months}m",
                send_day,
                False,
                months,
                years,
                organization,
            )
        )
    return out
