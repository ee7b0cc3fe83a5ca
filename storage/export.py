"""Exporting the query log, purging old rows and automatic retention."""

from __future__ import annotations

import csv
import json
import logging
from datetime import date, datetime
from typing import Literal, TextIO

from sqlite_utils import Database

from common.settings import env

from .migrations import QUERY_COLUMNS
from .timeutil import as_aware, cutoff_iso, day_start_iso

log = logging.getLogger("zhibu.storage")

DEFAULT_RETENTION_DAYS = 365


def export_rows(db: Database, since: date, fmt: Literal["csv", "jsonl"], out: TextIO) -> int:
    """Write every query from the start of `since` (a Beijing date) on, oldest first; return the row count.

    CSV has a header row with the `queries` columns, `verdicts` as its JSON text; JSON Lines has one object
    per query with `verdicts` parsed into a list. Text is UTF-8 and never escaped to \\uXXXX.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"export format must be 'csv' or 'jsonl', got {fmt!r}")
    columns = list(QUERY_COLUMNS)
    cursor = db.execute(
        f"select {', '.join(columns)} from queries where ts >= ? order by ts, id", [day_start_iso(since)]
    )
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(columns)
    count = 0
    for values in cursor:
        if writer:
            writer.writerow(values)
        else:
            row = dict(zip(columns, values))
            row["verdicts"] = _parse_json(row["verdicts"])
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def _parse_json(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def purge(db: Database, older_than_days: int, now: datetime) -> int:
    """Delete queries older than `older_than_days` days before `now`, their feedback and older feedback.

    Returns the number of queries deleted. Everything happens in one transaction.
    """
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more, got {older_than_days}")
    cutoff = cutoff_iso(as_aware(now), older_than_days)
    with db.atomic():
        db.execute(
            "delete from feedback where ts < :cutoff or query_id in (select id from queries where ts < :cutoff)",
            {"cutoff": cutoff},
        )
        deleted = db.execute("delete from queries where ts < ?", [cutoff]).rowcount
    return deleted


def retention_days() -> int | None:
    """Return ``ZHIBU_RETENTION_DAYS`` (default 365); 0 turns retention off (None).

    A value that is not a whole number is reported and the default is used.
    """
    raw = env("ZHIBU_RETENTION_DAYS").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        log.warning(
            "ZHIBU_RETENTION_DAYS=%r is not a whole number of days; using %d. Hint: e.g. ZHIBU_RETENTION_DAYS=180",
            raw,
            DEFAULT_RETENTION_DAYS,
        )
        return DEFAULT_RETENTION_DAYS
    return days if days > 0 else None


def apply_retention(db: Database, now: datetime) -> int:
    """Purge queries older than `retention_days()`; return how many were deleted (0 when retention is off)."""
    days = retention_days()
    if days is None:
        return 0
    deleted = purge(db, days, now)
    if deleted:
        log.info("retention: deleted %d queries older than %d days", deleted, days)
    return deleted
