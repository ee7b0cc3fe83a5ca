"""Reminder subscriptions, per-chat settings and the at-most-once ledger of sends (`reminders_sent`).

Delivery is **at most once** per (chat, reminder, occurrence): `claim()` commits a `pending` row *before*
the message is sent, and that row blocks every later claim of the same occurrence, in this process or after
a restart. A crash between claim and `mark_sent()` therefore leaves the occurrence unsent rather than
risking a second message; `recover_stale()` turns such rows into `unknown` so an admin can see them.
A send that certainly did not reach Telegram can be given back with `release()` and is planned again.

Every function takes the `Database` from `open_db` and an optional `now` (aware; default: the clock), so
tests control time. Writes run in ``BEGIN IMMEDIATE`` transactions, under a per-connection lock so one
`Database` can be shared by threads; several connections to one file (threads or processes) are safe
through SQLite's own locking and the busy timeout. Times are stored as UTC ISO 8601 (storage.timeutil.to_iso).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlite_utils import Database

from .timeutil import as_aware, to_iso, utc_now

#: `reminders_sent.status` values. Every row, whatever its status, blocks a new claim of its occurrence.
STATUSES = ("pending", "sent", "failed", "missed", "unknown")
#: A `pending` claim older than this at start-up belongs to a dead process (see recover_stale).
DEFAULT_STALE_AFTER = timedelta(minutes=10)

_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Subscription:
    """A chat's subscription to one reminder."""

    chat_id: int
    reminder_id: str
    send_time: time | None
    tz: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ChatSettings:
    """A chat's reminder settings; all None for a chat that never set anything."""

    chat_id: int
    tz: str | None = None
    term_start: date | None = None
    org_type: str | None = None
    disabled_reason: str | None = None
    updated_at: datetime | None = None
    org_level: str | None = None  # 支部 | 总支 | 党委 as given to /term, None when not given


@dataclass(frozen=True)
class SentRecord:
    """One row of the `reminders_sent` ledger."""

    chat_id: int
    reminder_id: str
    due_at: datetime
    event_key: str | None
    status: str
    message_id: int | None
    error: str | None
    ts: datetime


# ---------------------------------------------------------------------------------------------- helpers


def _lock(db: Database) -> threading.RLock:
    lock = getattr(db, "_zhibu_reminders_lock", None)
    if lock is None:
        with _locks_guard:
            lock = getattr(db, "_zhibu_reminders_lock", None)
            if lock is None:
                lock = threading.RLock()
                db._zhibu_reminders_lock = lock
    return lock


@contextmanager
def _write(db: Database) -> Iterator[None]:
    """One write transaction (BEGIN IMMEDIATE), or a savepoint inside the caller's transaction."""
    with _lock(db):
        if db.conn.in_transaction:
            with db.atomic():
                yield
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.conn.rollback()
            raise
        db.conn.execute("COMMIT")


def _now(now: datetime | None) -> str:
    return to_iso(now if now is not None else utc_now())


def _due(due_at: datetime) -> str:
    if not isinstance(due_at, datetime) or due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError(f"due_at must be a timezone-aware datetime, got {due_at!r}")
    return to_iso(due_at)


def _hhmm(value: time | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, time):
        return f"{value:%H:%M}"
    hours, _, minutes = str(value).partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f'send_time must be "HH:MM", got {value!r}')
    return f"{int(hours):02d}:{minutes}"


def _parse_dt(text: str | None) -> datetime | None:
    return as_aware(datetime.fromisoformat(text)) if text else None


def _parse_time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _subscription(row: tuple) -> Subscription:
    chat_id, reminder_id, send_time, tz, enabled, created_at, updated_at = row
    return Subscription(
        chat_id, reminder_id, _parse_time(send_time), tz, bool(enabled), _parse_dt(created_at), _parse_dt(updated_at)
    )


def _settings(row: tuple) -> ChatSettings:
    chat_id, tz, term_start, org_type, reason, updated_at, org_level = row
    return ChatSettings(
        chat_id,
        tz,
        date.fromisoformat(term_start) if term_start else None,
        org_type,
        reason,
        _parse_dt(updated_at),
        org_level,
    )


def _record(row: tuple) -> SentRecord:
    chat_id, reminder_id, due_at, event_key, status, message_id, error, ts = row
    return SentRecord(chat_id, reminder_id, _parse_dt(due_at), event_key, status, message_id, error, _parse_dt(ts))


_SUB_COLS = "chat_id, reminder_id, send_time, tz, enabled, created_at, updated_at"
_SET_COLS = "chat_id, tz, term_start, org_type, disabled_reason, updated_at, org_level"
_SENT_COLS = "chat_id, reminder_id, due_at, event_key, status, message_id, error, ts"


# ---------------------------------------------------------------------------------------------- subscriptions


def subscribe(
    db: Database,
    chat_id: int,
    reminder_id: str,
    send_time: time | str | None = None,
    *,
    tz: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Switch `reminder_id` on for `chat_id` (insert or update), with an optional "HH:MM" send time.

    Also clears the chat's disabled_reason: an admin using /remind on means the bot is back in the chat.
    Occurrences due before `now` are never caught up for this subscription.
    """
    stamp = _now(now)
    with _write(db):
        db.execute(
            f"INSERT INTO subscriptions ({_SUB_COLS}) VALUES (?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (chat_id, reminder_id) DO UPDATE SET send_time = excluded.send_time, tz = excluded.tz, "
            "enabled = 1, updated_at = excluded.updated_at",
            [chat_id, reminder_id, _hhmm(send_time), tz, stamp, stamp],
        )
        db.execute(
            "UPDATE chat_settings SET disabled_reason = NULL, updated_at = ? "
            "WHERE chat_id = ? AND disabled_reason IS NOT NULL",
            [stamp, chat_id],
        )
    return subscription(db, chat_id, reminder_id)


def unsubscribe(db: Database, chat_id: int, reminder_id: str, *, now: datetime | None = None) -> bool:
    """Switch `reminder_id` off for `chat_id` (the row stays, enabled = 0); True if it was on."""
    with _write(db):
        cursor = db.execute(
            "UPDATE subscriptions SET enabled = 0, updated_at = ? "
            "WHERE chat_id = ? AND reminder_id = ? AND enabled = 1",
            [_now(now), chat_id, reminder_id],
        )
    return cursor.rowcount > 0


def subscription(db: Database, chat_id: int, reminder_id: str) -> Subscription | None:
    """One subscription, on or off, or None."""
    row = db.execute(
        f"SELECT {_SUB_COLS} FROM subscriptions WHERE chat_id = ? AND reminder_id = ?", [chat_id, reminder_id]
    ).fetchone()
    return _subscription(row) if row else None


def subscriptions(db: Database, chat_id: int | None = None, enabled_only: bool = True) -> list[Subscription]:
    """Subscriptions of one chat (or all chats), ordered by chat and reminder id."""
    where, params = [], []
    if chat_id is not None:
        where.append("chat_id = ?")
        params.append(chat_id)
    if enabled_only:
        where.append("enabled = 1")
    sql = f"SELECT {_SUB_COLS} FROM subscriptions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_subscription(r) for r in db.execute(sql + " ORDER BY chat_id, reminder_id", params).fetchall()]


# ---------------------------------------------------------------------------------------------- chat settings


def _upsert_settings(db: Database, chat_id: int, values: dict, now: datetime | None) -> None:
    values = {**values, "updated_at": _now(now)}
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values)
    db.execute(
        f"INSERT INTO chat_settings (chat_id, {cols}) VALUES (?, {marks}) "
        f"ON CONFLICT (chat_id) DO UPDATE SET {updates}",
        [chat_id, *values.values()],
    )


def set_chat_tz(db: Database, chat_id: int, tz: str | None, *, now: datetime | None = None) -> ChatSettings:
    """Record the chat's IANA zone (validate it first, e.g. reminders.schedule.parse_tz); None = default."""
    with _write(db):
        _upsert_settings(db, chat_id, {"tz": tz}, now)
    return chat_settings(db, chat_id)


def set_term(
    db: Database,
    chat_id: int,
    term_start: date,
    org_type: str | None,
    org_level: str | None = None,
    *,
    now: datetime | None = None,
) -> ChatSettings:
    """Record when the committee's term started, the organization type and level (its length follows)."""
    if not isinstance(term_start, date) or isinstance(term_start, datetime):
        raise ValueError(f"term_start must be a date, got {term_start!r}")
    with _write(db):
        _upsert_settings(
            db, chat_id, {"term_start": term_start.isoformat(), "org_type": org_type, "org_level": org_level}, now
        )
    return chat_settings(db, chat_id)


def chat_settings(db: Database, chat_id: int) -> ChatSettings:
    """The chat's settings; ChatSettings(chat_id) with all None when it has none."""
    row = db.execute(f"SELECT {_SET_COLS} FROM chat_settings WHERE chat_id = ?", [chat_id]).fetchone()
    return _settings(row) if row else ChatSettings(chat_id)


def all_chat_settings(db: Database) -> dict[int, ChatSettings]:
    """Every chat's settings by chat id (what the planner takes)."""
    return {r[0]: _settings(r) for r in db.execute(f"SELECT {_SET_COLS} FROM chat_settings").fetchall()}


def disable_chat(db: Database, chat_id: int, reason: str, *, now: datetime | None = None) -> int:
    """The bot cannot post there (Forbidden): switch every subscription off and record why.

    Returns how many subscriptions were on. The rows stay, so /remind list still shows them (as 未订阅).
    """
    with _write(db):
        cursor = db.execute(
            "UPDATE subscriptions SET enabled = 0, updated_at = ? WHERE chat_id = ? AND enabled = 1",
            [_now(now), chat_id],
        )
        _upsert_settings(db, chat_id, {"disabled_reason": reason}, now)
    return cursor.rowcount


def migrate_chat(db: Database, old_id: int, new_id: int, *, now: datetime | None = None) -> dict[str, int]:
    """A group became a supergroup (ChatMigrated): move subscriptions, settings and sent history.

    Rows already present under `new_id` win; the old chat's duplicates are dropped. A pending claim moves
    too, so the caller can retry the send under the new id and mark_sent() it there. Returns moved counts.
    """
    if old_id == new_id:
        return {"subscriptions": 0, "chat_settings": 0, "reminders_sent": 0}
    moved = {}
    with _write(db):
        for table in ("subscriptions", "reminders_sent"):
            cursor = db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", [new_id, old_id])
            moved[table] = cursor.rowcount
            db.execute(f"DELETE FROM {table} WHERE chat_id = ?", [old_id])
        old = db.execute(f"SELECT {_SET_COLS} FROM chat_settings WHERE chat_id = ?", [old_id]).fetchone()
        moved["chat_settings"] = 0
        if old:
            new = db.execute(f"SELECT {_SET_COLS} FROM chat_settings WHERE chat_id = ?", [new_id]).fetchone()
            if new is None:
                db.execute(
                    "UPDATE chat_settings SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
                    [new_id, _now(now), old_id],
                )
            else:  # keep the new chat's values, fill its gaps from the old one
                db.execute(
                    "UPDATE chat_settings SET tz = COALESCE(tz, ?), term_start = COALESCE(term_start, ?), "
                    "org_type = COALESCE(org_type, ?), org_level = COALESCE(org_level, ?), updated_at = ? "
                    "WHERE chat_id = ?",
                    [old[1], old[2], old[3], old[6], _now(now), new_id],
                )
                db.execute("DELETE FROM chat_settings WHERE chat_id = ?", [old_id])
            moved["chat_settings"] = 1
    return moved
