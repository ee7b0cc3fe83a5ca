"""The schema, built only through sqlite-utils `Migrations`.

To change the schema, append a new function decorated with ``@migrations(name="mNNN_what")`` at the end of
this file (issue 6 adds ``subscriptions`` and ``reminders_sent``, issue 7 ``kb_versions`` and ``admin_audit``).
Never edit or rename a migration that has shipped: databases record applied migrations by name and run each
one exactly once, in the order they are registered here. Keep migrations transactional (the default), so a
failing one leaves no trace and stays pending. Document every new table and column in docs/operations.md
(a test checks that the columns are listed there).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("zhibu")

#: The `queries` columns in table order; the query log writes exactly these.
QUERY_COLUMNS: dict[str, type] = {
    "id": str,  # uuid4 hex, chosen by the caller side of QueryLog.log()
    "ts": str,  # UTC ISO 8601, see storage.timeutil.to_iso
    "channel": str,  # cli | console | telegram
    "chat_id": int,  # NULL in private chats (there it equals the user id)
    "chat_type": str,  # private | group | supergroup | channel, or NULL outside Telegram
    "user_hash": str,  # HMAC-SHA256(salt, user id), hex
    "text": str,  # what the user wrote
    "normalized": str,  # the pipeline's normalized form
    "script": str,  # simplified | traditional
    "entry_id": str,  # matched knowledge entry, NULL if none
    "score": float,  # match confidence
    "fallback": int,  # 1 when the bot declined to answer
    "verdicts": str,  # JSON list of objects, each with rule_id
    "latency_ms": float,
    "kb_version": str,
}

#: The `feedback` columns in table order.
FEEDBACK_COLUMNS: dict[str, type] = {
    "query_id": str,  # queries.id
    "value": int,  # +1 or -1
    "ts": str,  # UTC ISO 8601
}


@migrations(name="m001_queries_feedback")
def m001_queries_feedback(db: Database) -> None:
    """Create `queries` and `feedback` with their indexes."""
    db["queries"].create(QUERY_COLUMNS, pk="id", if_not_exists=True)
    db["queries"].create_index(["ts"], if_not_exists=True)
    db["queries"].create_index(["entry_id"], if_not_exists=True)
    db["feedback"].create(FEEDBACK_COLUMNS, if_not_exists=True)
    db["feedback"].create_index(["query_id"], if_not_exists=True)
    db["feedback"].create_index(["ts"], if_not_exists=True)


# Append new migrations below this line, one function each, oldest first.
