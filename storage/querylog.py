"""The query log: `log()` returns at once; one background thread writes rows in batches.

Answers never wait for the disk. A write failure (read-only file, full disk, a lock that outlasts the busy
timeout, an unwritable folder) is logged once; the rows stay in a bounded backlog and are retried with the
next batch, and one line is logged when writing works again.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from .db import DEFAULT_BUSY_TIMEOUT_MS, db_file_path, is_memory_path, open_db
from .rows import build_query_row, new_id
from .salt import hash_user_id, load_salt
from .timeutil import to_iso, utc_now

log = logging.getLogger("zhibu.storage")

_STOP = object()


class QueryLog:
    """Record exchanges and feedback without ever blocking or raising in the caller.

    `path_or_db` is a file path, None/":memory:" (a private in-memory database, readable as `.db`), or a
    `Database` from `open_db` (the writer opens its own connection to the same file or shared memory).
    `salt` defaults to `load_salt(path)`. Call `close()` on shutdown: it writes every queued row.
    """

    def __init__(
        self,
        path_or_db: str | os.PathLike | Database | None = None,
        salt: bytes | None = None,
        *,
        batch_size: int = 500,
        max_backlog: int = 10_000,
        retry_interval: float = 1.0,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        linger: float = 0.05,
    ):
        self.db: Database | None = None
        self.path: str | None = None
        self._memory_name: str | None = None
        if isinstance(path_or_db, Database):
            self.db = path_or_db
            self.path = db_file_path(path_or_db)
            self._memory_name = None if self.path else path_or_db.memory_name
            if not self.path and not self._memory_name:
                raise ValueError(
                    "QueryLog needs a file database or an in-memory one from storage.open_db(None); "
                    "a plain sqlite_utils.Database(memory=True) cannot be shared with the writer thread"
                )
        elif is_memory_path(path_or_db):
            self.db = open_db(None)
            self._memory_name = self.db.memory_name
        else:
            self.path = os.fspath(path_or_db)
        self._salt = salt if salt is not None else load_salt(self.path)
        self._batch_size = batch_size
        self._max_backlog = max_backlog
        self._retry_interval = retry_interval
        self._busy_timeout_ms = busy_timeout_ms
        # Group commit: once a row arrives, wait this long for others before writing. Under load, waking the
        # writer (and taking the GIL from the answering thread) for every row, one small transaction each,
        # took ~18% of a busy bot process's interpreter time (py-spy); a row is still on disk within 50 ms.
        self._linger = linger
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._warned: set[str] = set()
        self._closed = False
        # Written by the writer thread only; read by anyone. `written` counts queries and feedback rows.
        self.written = 0
        self.commits = 0  # write transactions that succeeded
        self.dropped = 0
        self.failing = False
        self._unwritten = 0
        self._thread = threading.Thread(target=self._run, name="zhibu-querylog", daemon=True)
        self._thread.start()

    # -- caller side -----------------------------------------------------------------------------------

    def log(self, **fields: Any) -> str:
        """Queue one exchange and return its id (uuid4 hex) at once; never raises, never blocks.

        Fields are the `queries` columns (see docs/operations.md) plus `user_id`, which is stored only as
        its salted hash. `ts` defaults to now, `id` to a fresh uuid4 hex.
        """
        qid = new_id()
        try:
            qid = fields["id"] = str(fields.get("id") or qid)
            if fields.get("ts") is None:
                fields["ts"] = utc_now()
            self._put("queries", fields)  # the writer turns it into a row: less work on the answer's path
        except Exception as exc:  # a bad argument must not cost the user an answer
            self._warn_once(f"error:{type(exc).__name__}", "query log: an exchange was not recorded: %r", exc)
        return qid

    def feedback(self, query_id: str, value: int, ts: datetime | str | None = None) -> bool:
        """Queue a 👍 (+1) or 👎 (-1) for `query_id`; return False (and warn once) for a bad value."""
        try:
            vote = (value > 0) - (value < 0)
            if vote == 0:
                raise ValueError(f"feedback value must be +1 or -1, got {value!r}")
            self._put("feedback", {"query_id": str(query_id), "value": vote, "ts": to_iso(ts)})
            return True
        except Exception as exc:
            self._warn_once(f"error:{type(exc).__name__}", "query log: feedback not recorded: %r", exc)
            return False

    def hash_user(self, user_id: object) -> str | None:
        """Return the salted hash stored for `user_id` (None for None)."""
        return hash_user_id(self._salt, user_id)

    def flush(self, timeout: float = 5) -> bool:
        """Wait until every row queued so far is written; False if that did not happen within `timeout`."""
        if not self._thread.is_alive():
            return self._unwritten == 0 and self._queue.empty()
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 5) -> None:
        """Flush, then stop the writer. Rows that still cannot be written are reported in one warning.

        While writes are failing, close() does not wait out `timeout` for a flush: the writer makes one last
        attempt and exits.
        """
        if self._closed:
            return
        self._closed = True
        if not self.failing:
            self.flush(timeout)
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def __enter__(self) -> QueryLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _put(self, table: str, row: dict[str, Any]) -> None:
        if self._closed:
            self._warn_once("closed", "query log: used after close(); rows are no longer recorded")
            return
        self._queue.put((table, row))

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    # -- writer thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        """Drain the queue into batches until `_STOP`; keep failed rows (bounded) for the next attempt."""
        pending: list[tuple[str, dict[str, Any]]] = []
        waiters: list[threading.Event] = []
        conn: Database | None = None
        next_try = 0.0
        stopping = False
        while not stopping:
            wait = None if not pending else max(0.0, next_try - time.monotonic())
            items = self._take(wait)
            if (
                items
                and self._linger > 0
                and len(items) < self._batch_size
                and not any(item is _STOP or isinstance(item, threading.Event) for item in items)
            ):
                time.sleep(self._linger)  # let a burst's rows gather into one transaction
                items += self._take(0, self._batch_size - len(items))
            for item in items:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                elif item[0] == "queries":
                    self._add_query(pending, item[1])
                else:
                    pending.append(item)
            self._trim(pending)
            if pending and (stopping or time.monotonic() >= next_try):
                conn = self._write(conn, pending)
                if pending:
                    next_try = time.monotonic() + self._retry_interval
            self._unwritten = len(pending)
            if not pending:
                for event in waiters:
                    event.set()
                waiters.clear()
        if conn is not None:
            conn.close()
        if pending:
            log.warning("query log: closed with %d rows that could not be written to %s", len(pending), self._target)

    def _add_query(self, pending: list, fields: dict[str, Any]) -> None:
        """Build the `queries` row for logged fields (hashing the user id); a malformed one is skipped."""
        try:
            row, unknown = build_query_row(fields, self._salt)
        except Exception as exc:
            self._warn_once(f"error:{type(exc).__name__}", "query log: an exchange was not recorded: %r", exc)
            return
        for name in unknown:
            self._warn_once(f"field:{name}", "query log: ignoring unknown field %r", name)
        pending.append(("queries", row))

    def _take(self, wait: float | None, limit: int | None = None) -> list[Any]:
        """Block up to `wait` seconds (None: forever) for one item, then take what else is queued (up to
        `limit` items, default the batch size)."""
        limit = self._batch_size if limit is None else limit
        try:
            items = [self._queue.get(timeout=wait)]
        except queue.Empty:
            return []
        while len(items) < limit:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _trim(self, pending: list) -> None:
        """Drop the oldest rows beyond the backlog bound, counting them."""
        excess = len(pending) - self._max_backlog
        if excess > 0:
            del pending[:excess]
            self.dropped += excess

    def _write(self, conn: Database | None, pending: list) -> Database | None:
        """Write all pending rows in one transaction; on success empty `pending`. Return the connection."""
        try:
            if conn is None:
                conn = self._connect()
            queries = [row for table, row in pending if table == "queries"]
            feedback = [row for table, row in pending if table == "feedback"]
            with conn.atomic():
                if queries:
                    conn["queries"].insert_all(queries, ignore=True, batch_size=1000)
                if feedback:
                    feedback = _of_known_queries(conn, feedback)
                if feedback:
                    conn["feedback"].insert_all(feedback, batch_size=1000)
        except Exception as exc:
            if not self.failing:
                self.failing = True
                log.warning(
                    "query log: cannot write to %s (%s: %s); answers are not affected, %d rows kept and "
                    "retried (at most %d). Hint: check the file's permissions, free disk space and locks.",
                    self._target,
                    type(exc).__name__,
                    exc,
                    len(pending),
                    self._max_backlog,
                )
            if conn is not None:
                conn.close()
            return None
        self.written += len(pending)
        self.commits += 1
        if self.failing:
            self.failing = False
            log.warning(
                "query log: writing to %s again; %d queued rows written, %d dropped in total (backlog full)",
                self._target,
                len(pending),
                self.dropped,
            )
        pending.clear()
        return conn

    def _connect(self) -> Database:
        """Open the writer's own connection (file databases are created and migrated if needed)."""
        if self.path:
            return open_db(self.path, busy_timeout_ms=self._busy_timeout_ms)
        return Database(memory_name=self._memory_name)

    @property
    def _target(self) -> str:
        return self.path or "the in-memory database"


def _of_known_queries(conn: Database, feedback: list[dict]) -> list[dict]:
    """Only votes on answers the bot logged: a 👍 button carries the query id in its callback data, which
    anyone can forge (fb:+:anything), and /stats must not count those."""
    ids = list({row["query_id"] for row in feedback})
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        known.update(r[0] for r in conn.execute(f"select id from queries where id in ({marks})", chunk))
    return [row for row in feedback if row["query_id"] in known]
