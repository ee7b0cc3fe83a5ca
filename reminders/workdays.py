"""PRC workdays for reminders: public holidays are days off, 调休 weekend days are workdays.

Where a day's answer comes from, first match wins:

1. ``knowledge/holidays.yaml``: the years an admin has entered from the State Council's notice
   (国务院办公厅关于YYYY年部分节假日安排的通知, published each November or December). A year listed there
   overrides chinese-calendar entirely, so next year's reminders are right before the package catches up.
2. the chinese-calendar package (2004–2026 in version 1.11);
3. otherwise Monday to Friday count as workdays (logged once per year; `bot.py check` warns 90 days ahead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from common.problems import InvalidData, Problem
from common.yamlload import Loaded, load_yaml

log = logging.getLogger("zhibu.reminders")

HOLIDAY_MODES = ("next_workday", "previous_workday", "keep")
HOLIDAYS_FILE = "holidays.yaml"
COVERAGE_DAYS = 90  # `bot.py check` warns when this many days ahead reach a year without holiday data
_MAX_SHIFT_DAYS = 60
_YEAR_FIELDS = ("source", "holidays", "workdays")
_BLOCK_FIELDS = ("name", "from", "to")


_warned_years: set[int] = set()


# ---------------------------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class HolidayBlock:
    """One holiday of a notice: `name` off from `start` to `end` inclusive (weekend days inside included)."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class YearHolidays:
    """One year's notice: its holidays (放假) and the weekend days worked instead (调休上班)."""

    year: int
    source: str
    holidays: tuple[HolidayBlock, ...]
    workdays: tuple[date, ...]
    line: int = 0


@dataclass(frozen=True)
class HolidayCalendar:
    """The years of knowledge/holidays.yaml; a listed year overrides chinese-calendar."""

    years: dict[int, YearHolidays] = field(default_factory=dict, compare=False)
    days_off: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    file: str = ""

    def covers(self, year: int) -> bool:
        return year in self.years

    def is_workday(self, day: date) -> bool:
        return day in self.extra_workdays or (day.weekday() < 5 and day not in self.days_off)


def calendar_of(years: list[YearHolidays], file: str = "") -> HolidayCalendar:
    off = {b.start + timedelta(days=i) for y in years for b in y.holidays for i in range((b.end - b.start).days + 1)}
    return HolidayCalendar(
        {y.year: y for y in years}, frozenset(off), frozenset(d for y in years for d in y.workdays), file
    )


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_holidays(doc: Loaded, problems: list[Problem]) -> HolidayCalendar:
    """Validate a parsed holidays.yaml ({version, years: {YYYY: {source, holidays, workdays}}})."""
    data = doc.data
    if not isinstance(data, dict):
        problems.append(doc.problem((), "expected a mapping with version and years"))
        return HolidayCalendar(file=doc.file)
    for key in data:
        if key not in ("version", "years"):
            problems.append(doc.problem((key,), "unknown top-level field (expected version, years)"))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(doc.problem(("version",), f"expected a whole number ≥ 1, got {version!r}"))
    raw_years = data.get("years")
    if raw_years is None:
        raw_years = {}
    if not isinstance(raw_years, dict):
        problems.append(doc.problem(("years",), "expected a mapping of year → {source, holidays, workdays}"))
        raw_years = {}
    years = []
    for key, item in raw_years.items():
        parsed = _parse_year(doc, key, item, problems)
        if parsed is not None:
            years.append(parsed)
    return calendar_of(years, doc.file)


def _parse_year(doc: Loaded, key: object, item: object, problems: list[Problem]) -> YearHolidays | None:
    path = ("years", key)
    year = (
        key
        if isinstance(key, int) and not isinstance(key, bool)
        else (int(key) if isinstance(key, str) and key.strip().isdigit() else None)
    )
    if year is None or not 1990 <= year <= 2100:
        problems.append(doc.problem(path, f"expected a year 1990–2100 as the key, got {key!r}"))
        return None
    if not isinstance(item, dict):
        problems.append(doc.problem(path, "expected a mapping with source, holidays and workdays"))
        return None
    for name in item:
        if name not in _YEAR_FIELDS:
            problems.append(doc.problem(path + (name,), f"unknown field (expected {', '.join(_YEAR_FIELDS)})"))
    source = item.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append(
            doc.problem(
                path + ("source",),
                f"required: the notice these days come from (国务院办公厅关于{year}年部分节假日安排的通知)",
            )
        )
    earliest, latest = date(year - 1, 12, 1), date(year, 12, 31)

    def in_year(value: object, where: tuple) -> date | None:
        day = _date(value)
        if day is None:
            problems.append(doc.problem(where, f"expected a date YYYY-MM-DD, got {value!r}"))
        elif not earliest <= day <= latest:
            problems.append(
                doc.problem(
                    where,
                    f"{day.isoformat()} is not in {year} "
                    f"(only December {year - 1} may hold a day of {year}'s 元旦 block)",
                )
            )
            return None
        return day

    blocks = []
    raw_blocks = item.get("holidays")
    if not isinstance(raw_blocks, list) or not raw_blocks:
        problems.append(doc.problem(path + ("holidays",), "expected a list of {name, from, to}"))
        raw_blocks = []
    for i, raw in enumerate(raw_blocks):
        where = path + ("holidays", i)
        if not isinstance(raw, dict):
            problems.append(doc.problem(where, "expected {name, from, to}"))
            continue
        for name in raw:
            if name not in _BLOCK_FIELDS:
                problems.append(doc.problem(where + (name,), f"unknown field (expected {', '.join(_BLOCK_FIELDS)})"))
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(doc.problem(where + ("name",), "required: the holiday's name (元旦, 春节 …)"))
        start = in_year(raw.get("from"), where + ("from",))
        end = in_year(raw["to"], where + ("to",)) if "to" in raw else start
        if start is None or end is None:
            continue
        if end < start:
            problems.append(doc.problem(where + ("to",), f"{end.isoformat()} is before from ({start.isoformat()})"))
            continue
        if (end - start).days > 14:
            problems.append(
                doc.problem(
                    where + ("to",),
                    f"{(end - start).days + 1} days off in a row: "
                    "check the dates (no notice has a holiday over 10 days)",
                )
            )
            continue
        blocks.append(HolidayBlock(str(name).strip(), start, end))
    off = {b.start + timedelta(days=i) for b in blocks for i in range((b.end - b.start).days + 1)}
    workdays = []
    raw_workdays = item.get("workdays") or []
    if not isinstance(raw_workdays, list):
        problems.append(doc.problem(path + ("workdays",), "expected a list of dates (调休上班的周末)"))
        raw_workdays = []
    for i, raw in enumerate(raw_workdays):
        day = in_year(raw, path + ("workdays", i))
        if day is None:
            continue
        if day.weekday() < 5:
            problems.append(
                doc.problem(
                    path + ("workdays", i),
                    f"{day.isoformat()} is a weekday, already a "
                    "workday: list only the Saturdays and Sundays worked (调休上班)",
                )
            )
        elif day in off:
            problems.append(doc.problem(path + ("workdays", i), f"{day.isoformat()} is also listed as a holiday"))
        else:
            workdays.append(day)
    return YearHolidays(year, str(source or "").strip(), tuple(blocks), tuple(workdays), doc.line(path))


def load_holidays(folder: Path, root: Path | None = None) -> tuple[HolidayCalendar | None, list[Problem]]:
    """`folder`/holidays.yaml → (calendar, problems); an absent file is an empty calendar."""
    path = folder / HOLIDAYS_FILE
    if not path.exists():
        return HolidayCalendar(), []
    root = root or folder.parent
    try:
        display = str(path.relative_to(root))
    except ValueError:
        display = str(path)
    problems: list[Problem] = []
    try:
        calendar = parse_holidays(load_yaml(path, display), problems)
    except InvalidData as exc:
        return None, exc.problems
    if any(p.severity == "error" for p in problems):
        return None, problems
    return calendar, problems


def package_covers(year: int) -> bool:
    """Does the chinese-calendar package know `year`?"""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def uncovered_years(calendar: HolidayCalendar | None, today: date, days: int = COVERAGE_DAYS) -> list[int]:
    """Years of the next `days` days that neither holidays.yaml nor chinese-calendar knows."""
    years = range(today.year, (today + timedelta(days=days)).year + 1)
    return [y for y in years if not (calendar is not None and calendar.covers(y)) and not package_covers(y)]


def coverage_warnings(
    calendar: HolidayCalendar | None, today: date, file: str = f"knowledge/{HOLIDAYS_FILE}"
) -> list[Problem]:
    """One warning per year of the next 90 days without holiday data (for `bot.py check`)."""
    return [
        Problem(
            file,
            0,
            "years",
            f"no holiday data for {year}, and the next {COVERAGE_DAYS} days reach it: "
            f"enter {year}'s 放假 and 调休 days from the State Council notice "
            f"(国务院办公厅关于{year}年部分节假日安排的通知); until then reminders in {year} treat "
            "Monday–Friday as workdays",
            "warning",
        )
        for year in uncovered_years(calendar, today)
    ]


# ---------------------------------------------------------------------------------------------- lookups


def workday_status(day: date, calendar: HolidayCalendar | None = None) -> tuple[bool, bool]:
    """(is this a PRC workday?, did the weekends-only fallback decide it?).

    holidays.yaml for the years it lists, else chinese_calendar; outside both, Monday–Friday are workdays
    (logged once per year).
    """
    if calendar is not None and calendar.covers(day.year):
        return calendar.is_workday(day), False
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "no holiday data for %d (neither knowledge/holidays.yaml nor chinese_calendar): "
                "treating Monday–Friday as workdays",
                day.year,
            )
        return day.weekday() < 5, True


def shift_for_holiday(day: date, mode: str, calendar: HolidayCalendar | None = None) -> tuple[date, bool]:
    """Move `day` per `mode` (next_workday | previous_workday | keep); return (date, fallback used)."""
    if mode == "keep":
        return day, False
    if mode not in HOLIDAY_MODES:
        raise ValueError(f"unknown on_holiday mode {mode!r}")
    step = timedelta(days=1 if mode == "next_workday" else -1)
    fallback = False
    current = day
    for _ in range(_MAX_SHIFT_DAYS):
        ok, fb = workday_status(current, calendar)
        fallback = fallback or fb
        if ok:
            return current, fallback
        current += step
    return day, fallback  # pragma: no cover - no calendar has 60 days off in a row
