"""Opening databases: file databases in WAL mode with a busy timeout, in-memory ones for tests and one-offs."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from sqlite_utils import Database

from common.settings import env

from .migrations import migrations

DEFAULT_DB_PATH = "data/zhibu.db"
DEFAULT_BUSY_TIMEOUT_MS = 5000
MEMORY_PATHS = (None, "", ":memory:")

# Two connections of one process must not both create the migrations table.
_migrate_lock = threading.Lock()


def default_db_path() -> str:
    """Return the database path from ``ZHIBU_DB`` (default ``data/zhibu.db``)."""
    return env("ZHIBU_DB") or DEFAULT_DB_PATH


def is_memory_path(path: str | os.PathLike | None) -> bool:
    """Return True when `path` asks for an in-memory database (None, "" or ":memory:")."""
    return path in MEMORY_PATHS


def open_db(
    path: str | os.PathLike | None = None,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    migrate: bool = True,
) -> Database:
    """Open (creating if needed) the database at `path` and apply pending migrations.

    None or ":memory:" gives a private in-memory database. It is a named shared-cache database, so the
    query log's writer thread can open a second connection to it; it lives as long as the returned object.
    A file path gets its parent folder created, ``journal_mode=WAL``, ``synchronous=NORMAL`` and
    ``busy_timeout``. Raises `sqlite3.Error` or `OSError` when the file cannot be opened or migrated.
    """
    if is_memory_path(path):
        db = Database(memory_name=f"zhibu_{uuid.uuid4().hex}")
    else:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        db = Database(file)
        try:
            db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            _set_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            db.close()
            raise
    if migrate:
        try:
            apply_migrations(db)
        except BaseException:
            db.close()
            raise
    return db


def _set_wal(db: Database, attempts: int = 100) -> None:
    """Switch to WAL. A read-only file keeps its journal mode, so it can still be read (writes fail later).

    Several connections opening a new file at once (the bot's threads, a CLI command) race for the switch,
    which can fail with "database is locked" without waiting on the busy timeout: serialize it in this
    process and retry briefly for other processes.
    """
    for attempt in range(attempts):
        try:
            with _migrate_lock:
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY":
                return
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def apply_migrations(db: Database) -> list[str]:
    """Apply pending migrations; return their names. Applying twice is a no-op (and writes nothing).

    Runs inside ``BEGIN IMMEDIATE``, so two processes starting on a new file (the bot and a CLI command)
    cannot both create the schema: the second waits for the first, then finds nothing pending.
    """
    with _migrate_lock:
        if not migrations.pending(db):
            return []
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            pending = [m.name for m in migrations.pending(db)]
            migrations.apply(db)
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
        return pending


def applied_migrations(db: Database) -> list[str]:
    """Return the names of the migrations applied to `db`, oldest first."""
    return [m.name for m in migrations.applied(db)]


def db_file_path(db: Database) -> str | None:
    """Return the file behind `db`'s main schema, or None for an in-memory database."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or None
    return None


def opener(db: Database):
    """A function that opens a new connection to the same database (file or named in-memory).

    Call it in the thread that owns `db`; call the result in another thread, which needs its own
    connection (sqlite3 connections belong to the thread that opened them).
    """
    path = db_file_path(db)
    if path:
        return lambda: open_db(path, migrate=False)
    name = getattr(db, "memory_name", None)
    if not name:
        raise ValueError("cannot reopen a private in-memory database; use storage.open_db(None)")
    return lambda: Database(memory_name=name)
