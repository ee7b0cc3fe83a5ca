"""The at-most-once ledger of reminder sends (`reminders_sent`): claim before sending, then record the outcome.

Delivery is **at most once** per (chat, reminder, occurrence): `claim()` commits a `pending` row *before*
the message is sent, and that row blocks every later claim of the same occurrence, in this process or after
a restart. A crash between claim and `mark_sent()` therefore leaves the occurrence unsent rather than
risking a second message; `recover_stale()` turns such rows into `unknown` so an admin can see them.
A send that certainly did not reach Telegram can be given back with `release()` and is planned again.
Subscriptions and chat settings are in storage/reminders.py, whose locking and time helpers this module uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from .reminders import _SENT_COLS, DEFAULT_STALE_AFTER, SentRecord, _due, _now, _record, _write
from .timeutil import as_aware, to_iso, utc_now


# ---------------------------------------------------------------------------------------------- the ledger


def claim(
    db: Database,
    chat_id: int,
    reminder_id: str,
    due_at: datetime,
    *,
    event_key: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Claim one occurrence for sending: True for the first claimer only, ever.

    Inserts a `pending` row with INSERT OR IGNORE on UNIQUE(chat_id, reminder_id, due_at) and, when
    `event_key` is given, UNIQUE(chat_id, reminder_id, event_key): an occurrence whose send time or zone
    changed after it was sent is not claimed again. Any existing row, whatever its status, blocks.
    """
    with _write(db):
        cursor = db.execute(
            f"INSERT OR IGNORE INTO reminders_sent ({_SENT_COLS}) VALUES (?, ?, ?, ?, 'pending', NULL, NULL, ?)",
            [chat_id, reminder_id, _due(due_at), event_key, _now(now)],
        )
    return cursor.rowcount == 1


def _set_status(
    db: Database,
    chat_id: int,
    reminder_id: str,
    due_at: datetime,
    status: str,
    now: datetime | None,
    message_id: int | None = None,
    error: str | None = None,
    from_statuses: tuple[str, ...] = ("pending",),
) -> bool:
    marks = ", ".join("?" for _ in from_statuses)
    with _write(db):
        cursor = db.execute(
            "UPDATE reminders_sent SET status = ?, message_id = COALESCE(?, message_id), error = ?, ts = ? "
            f"WHERE chat_id = ? AND reminder_id = ? AND due_at = ? AND status IN ({marks})",
            [status, message_id, error, _now(now), chat_id, reminder_id, _due(due_at), *from_statuses],
        )
    return cursor.rowcount == 1


def mark_sent(
    db: Database,
    chat_id: int,
    reminder_id: str,
    due_at: datetime,
    message_id: int | None,
    *,
    now: datetime | None = None,
) -> bool:
    """The claimed occurrence was delivered. False if there was no claim (or it was settled already).

    A late confirmation after recover_stale() marked the row `unknown` still records it as sent."""
    return _set_status(
        db, chat_id, reminder_id, due_at, "sent", now, message_id=message_id, from_statuses=("pending", "unknown")
    )


def mark_failed(
    db: Database,
    chat_id: int,
    reminder_id: str,
    due_at: datetime,
    error: str | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """The claimed occurrence could not be delivered (final: it is not retried)."""
    return _set_status(db, chat_id, reminder_id, due_at, "failed", now, error=error)


def mark_missed(
    db: Database,
    chat_id: int,
    reminder_id: str,
    due_at: datetime,
    *,
    event_key: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record an occurrence that fell due while the bot was down, beyond the grace window.

    Inserts a `missed` row unless the occurrence already has one (a send that happened is never
    overwritten); True if it was recorded now."""
    with _write(db):
        cursor = db.execute(
            f"INSERT OR IGNORE INTO reminders_sent ({_SENT_COLS}) VALUES (?, ?, ?, ?, 'missed', NULL, NULL, ?)",
            [chat_id, reminder_id, _due(due_at), event_key, _now(now)],
        )
    return cursor.rowcount == 1


def release(db: Database, chat_id: int, reminder_id: str, due_at: datetime) -> bool:
    """Give a `pending` claim back (delete it) when the send certainly did not reach Telegram, so the next
    plan can claim it again. Never use it when the request may have arrived (timeouts): that would risk a
    second message."""
    with _write(db):
        cursor = db.execute(
            "DELETE FROM reminders_sent WHERE chat_id = ? AND reminder_id = ? AND due_at = ? AND status = 'pending'",
            [chat_id, reminder_id, _due(due_at)],
        )
    return cursor.rowcount == 1


def recover_stale(
    db: Database, *, now: datetime | None = None, older_than: timedelta = DEFAULT_STALE_AFTER
) -> list[SentRecord]:
    """Turn `pending` claims older than `older_than` into `unknown` and return them.

    Such a claim belongs to a process that died between claiming and confirming: the message may or may
    not have gone out. It is not sent again (at most once); the rows are returned for logging."""
    cutoff = to_iso(as_aware(now if now is not None else utc_now()) - older_than)
    with _write(db):
        rows = db.execute(
            f"SELECT {_SENT_COLS} FROM reminders_sent WHERE status = 'pending' AND ts < ? ORDER BY ts", [cutoff]
        ).fetchall()
        db.execute(
            "UPDATE reminders_sent SET status = 'unknown', ts = ? WHERE status = 'pending' AND ts < ?",
            [_now(now), cutoff],
        )
    return [_with_status(_record(r), "unknown") for r in rows]


def _with_status(record: SentRecord, status: str) -> SentRecord:
    return SentRecord(
        record.chat_id,
        record.reminder_id,
        record.due_at,
        record.event_key,
        status,
        record.message_id,
        record.error,
        record.ts,
    )


def sent_history(
    db: Database,
    chat_id: int | None = None,
    reminder_id: str | None = None,
    *,
    status: str | None = None,
    limit: int = 100,
) -> list[SentRecord]:
    """Ledger rows, newest due first, optionally for one chat, reminder and status."""
    where, params = [], []
    for column, value in (("chat_id", chat_id), ("reminder_id", reminder_id), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = f"SELECT {_SENT_COLS} FROM reminders_sent"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY due_at DESC, chat_id, reminder_id LIMIT ?"
    return [_record(r) for r in db.execute(sql, [*params, int(limit)]).fetchall()]
