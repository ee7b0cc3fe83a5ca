"""Timestamps: stored as UTC ISO 8601 text, reported in Beijing time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

#: Calendar days in reports (`per_day`, `export --since`) are Beijing dates: branch secretaries live in UTC+8.
REPORT_TZ: tzinfo = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def to_iso(moment: datetime | str | None = None) -> str:
    """Format a moment as the stored text form: ``2025-03-01T08:00:00.000000+00:00``.

    Every stored `ts` has this exact shape, so string comparison equals time order.
    Naive datetimes are taken to be UTC; strings are parsed with `datetime.fromisoformat`.
    """
    if moment is None:
        moment = utc_now()
    elif isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def cutoff_iso(now: datetime, days: int | float) -> str:
    """Return the stored form of ``now - days``."""
    return to_iso(as_aware(now) - timedelta(days=days))


def day_start_iso(day: date, tz: tzinfo = REPORT_TZ) -> str:
    """Return the stored form of midnight at the start of `day` in `tz`."""
    return to_iso(datetime.combine(day, time.min, tzinfo=tz))


def as_aware(moment: datetime) -> datetime:
    """Treat a naive datetime as UTC; leave aware ones alone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def sqlite_offset(tz: tzinfo, at: datetime) -> str:
    """Return a SQLite date modifier such as ``'+480 minutes'`` for the offset of `tz` at `at`."""
    offset = as_aware(at).astimezone(tz).utcoffset() or timedelta(0)
    return f"{int(offset.total_seconds() // 60):+d} minutes"
