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
    "kind": str,  # the reply's kind: answer | choose | clarify | decline | situation | ask | …
    "picked_from": str,  # the id of the query whose offered entries (choose, decline, related) this answer was picked from
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


#: The `subscriptions` columns (issue 6): which chat gets which reminder; primary key (chat_id, reminder_id).
SUBSCRIPTION_COLUMNS: dict[str, type] = {
    "chat_id": int,
    "reminder_id": str,  # an id from knowledge/reminders.yaml, or term_end
    "send_time": str,  # "HH:MM" override of the reminder's time, NULL for the reminder's own
    "tz": str,  # IANA zone override for this subscription, NULL for the chat's (chat_settings.tz)
    "enabled": int,  # 1 on, 0 off (/remind off, or the bot was removed from the chat)
    "created_at": str,  # UTC ISO 8601
    "updated_at": str,  # UTC ISO 8601; last switched on or changed: nothing due before it is caught up
}

#: The `reminders_sent` columns: one row per claimed, sent, failed or missed occurrence.
REMINDER_SENT_COLUMNS: dict[str, type] = {
    "chat_id": int,
    "reminder_id": str,
    "due_at": str,  # the occurrence's send moment, UTC ISO 8601; UNIQUE(chat_id, reminder_id, due_at)
    "event_key": str,  # the occurrence's event (date; cron date+time; term end/months); UNIQUE with chat and reminder
    "status": str,  # pending | sent | failed | missed | unknown
    "message_id": int,  # Telegram message id once sent
    "error": str,  # why it failed, for failed rows
    "ts": str,  # UTC ISO 8601 of the last status change
}

#: The `chat_settings` columns: per-chat zone, 换届 term and why reminders were switched off.
CHAT_SETTINGS_COLUMNS: dict[str, type] = {
    "chat_id": int,
    "tz": str,  # IANA zone, NULL for Asia/Shanghai
    "term_start": str,  # ISO date the branch committee's term started (/term), or NULL
    "org_type": str,  # 村 | 社区 | 机关 | 企业 | 学校, or NULL (3-year term)
    "disabled_reason": str,  # set when delivery is impossible (e.g. Forbidden), NULL otherwise
    "updated_at": str,  # UTC ISO 8601
}


@migrations(name="m002_reminders")
def m002_reminders(db: Database) -> None:
    """Create `subscriptions`, `reminders_sent` (at-most-once keys) and `chat_settings` (issue 6)."""
    db["subscriptions"].create(
        SUBSCRIPTION_COLUMNS,
        pk=("chat_id", "reminder_id"),
        if_not_exists=True,
        not_null={"enabled", "created_at", "updated_at"},
        defaults={"enabled": 1},
    )
    db["subscriptions"].create_index(["reminder_id"], if_not_exists=True)
    db["reminders_sent"].create(
        REMINDER_SENT_COLUMNS, if_not_exists=True, not_null={"chat_id", "reminder_id", "due_at", "status", "ts"}
    )
    db["reminders_sent"].create_index(["chat_id", "reminder_id", "due_at"], unique=True, if_not_exists=True)
    db["reminders_sent"].create_index(["chat_id", "reminder_id", "event_key"], unique=True, if_not_exists=True)
    db["reminders_sent"].create_index(["status", "ts"], if_not_exists=True)
    db["chat_settings"].create(CHAT_SETTINGS_COLUMNS, pk="chat_id", if_not_exists=True)


#: `kb_versions` columns (issue 7): every published or rolled-back version of the YAML, whole.
KB_VERSION_COLUMNS: dict[str, type] = {
    "id": int,  # 1, 2, 3 … in publishing order
    "digest": str,  # content hash of all the files
    "files": str,  # JSON {relative path: file text}: enough to restore the version
    "ts": str,  # UTC ISO 8601
    "admin_hash": str,  # salted hash of the admin's Telegram id (NULL for the CLI or start-up)
    "action": str,  # baseline | reload | publish | rollback
    "summary": str,  # the diff summary shown to the admin
}

#: `admin_audit` columns: every admin action, allowed or refused.
ADMIN_AUDIT_COLUMNS: dict[str, type] = {
    "id": int,
    "ts": str,
    "admin_hash": str,
    "action": str,  # reload | upload | publish | cancel | rollback | versions | refused:<action> …
    "ok": int,  # 1 done, 0 failed or refused
    "detail": str,
}


@migrations(name="m003_versions_audit")
def m003_versions_audit(db: Database) -> None:
    """Create `kb_versions` (published YAML, for rollback) and `admin_audit` (issue 7)."""
    db["kb_versions"].create(KB_VERSION_COLUMNS, pk="id", if_not_exists=True, not_null={"digest", "files", "ts"})
    db["admin_audit"].create(ADMIN_AUDIT_COLUMNS, pk="id", if_not_exists=True, not_null={"ts", "action", "ok"})
    db["admin_audit"].create_index(["ts"], if_not_exists=True)


@migrations(name="m004_org_level")
def m004_org_level(db: Database) -> None:
    """Add `chat_settings.org_level` (支部 | 总支 | 党委 from /term): a 党委's term is 5 years, not 3."""
    if "org_level" not in db["chat_settings"].columns_dict:
        db["chat_settings"].add_column("org_level", str)


@migrations(name="m005_reply_kind_and_picks")
def m005_reply_kind_and_picks(db: Database) -> None:
    """Add `queries.kind` and `queries.picked_from` (issue 14): which entry a user picked when the bot asked
    「您问的是：A，还是 B？」, so admins see how the two-stage fallback is resolved."""
    for column in ("kind", "picked_from"):
        if column not in db["queries"].columns_dict:
            db["queries"].add_column(column, str)
