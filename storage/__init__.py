"""Storage: the only package that imports sqlite-utils.

Migrations, the query log (with hashed user ids), usage statistics, gap clusters, export and retention.
It imports no other project package and never `telegram`; callers pass in what it needs (such as `nearest`).
"""

from .admin import (
    Version,
    audit,
    audit_log,
    latest_version,
    list_versions,
    recent_questions,
    record_version,
    version_files,
)
from .db import DEFAULT_DB_PATH, opener, apply_migrations, applied_migrations, default_db_path, open_db
from .export import apply_retention, export_rows, purge, retention_days
from .gaps import GapCluster, SuspectAnswer, format_gaps, format_suspects, gap_clusters, suspect_answers
from .migrations import FEEDBACK_COLUMNS, QUERY_COLUMNS, migrations
from .querylog import QueryLog
from .salt import hash_user_id, load_salt
from .stats import format_stats, stats
from .timeutil import REPORT_TZ

__all__ = [
    "opener",
    "Version",
    "audit",
    "audit_log",
    "latest_version",
    "list_versions",
    "recent_questions",
    "record_version",
    "version_files",
    "DEFAULT_DB_PATH",
    "FEEDBACK_COLUMNS",
    "QUERY_COLUMNS",
    "REPORT_TZ",
    "GapCluster",
    "QueryLog",
    "applied_migrations",
    "apply_migrations",
    "apply_retention",
    "default_db_path",
    "export_rows",
    "format_gaps",
    "format_suspects",
    "suspect_answers",
    "SuspectAnswer",
    "format_stats",
    "gap_clusters",
    "hash_user_id",
    "load_salt",
    "migrations",
    "open_db",
    "purge",
    "retention_days",
    "stats",
]

# Reminders (issue 6): subscriptions, chat settings and the at-most-once delivery ledger.
from .migrations import CHAT_SETTINGS_COLUMNS, REMINDER_SENT_COLUMNS, SUBSCRIPTION_COLUMNS  # noqa: E402
from .reminders import (  # noqa: E402
    DEFAULT_STALE_AFTER,
    STATUSES,
    ChatSettings,
    SentRecord,
    Subscription,
    all_chat_settings,
    chat_settings,
    disable_chat,
    migrate_chat,
    set_chat_tz,
    set_term,
    subscribe,
    subscription,
    subscriptions,
    unsubscribe,
)
from .ledger import claim, mark_failed, mark_missed, mark_sent, recover_stale, release, sent_history  # noqa: E402

__all__ += [
    "CHAT_SETTINGS_COLUMNS",
    "DEFAULT_STALE_AFTER",
    "REMINDER_SENT_COLUMNS",
    "STATUSES",
    "SUBSCRIPTION_COLUMNS",
    "ChatSettings",
    "SentRecord",
    "Subscription",
    "all_chat_settings",
    "chat_settings",
    "claim",
    "disable_chat",
    "mark_failed",
    "mark_missed",
    "mark_sent",
    "migrate_chat",
    "recover_stale",
    "release",
    "sent_history",
    "set_chat_tz",
    "set_term",
    "subscribe",
    "subscription",
    "subscriptions",
    "unsubscribe",
]
