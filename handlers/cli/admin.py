"""Admin commands over the query log: stats, gaps, export, purge (the same figures feed Telegram /stats).

storage (and sqlite_utils under it) is imported inside the commands: building the parser must not load it."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone

from typing import TYPE_CHECKING

from knowledge.normalize import normalize_text

if TYPE_CHECKING:
    from handlers.content.content import Content


def nearest_entry(content: Content):
    """The `nearest` callable the gap report needs: question -> (entry id, title) or None."""

    def nearest(text: str):
        ranked = content.matcher.rank(normalize_text(text), limit=1)
        return (ranked[0].entry_id, ranked[0].title) if ranked else None

    return nearest


def suspect_answer(content: Content):
    """The `suspect` callable of the suspect-answer list: question -> why its answer may be wrong, or None."""
    return lambda text: content.matcher.judge.suspicion(normalize_text(text))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def stats_report(db, content: Content | None, days: int | None) -> tuple[dict, str]:
    import storage

    figures = storage.stats(db, days, _now())
    text = storage.format_stats(figures)
    clusters = storage.gap_clusters(db, nearest_entry(content) if content else None, days, now=_now(), limit=5)
    if clusters:
        text += "\n\n" + storage.format_gaps(clusters)
    figures["gaps"] = [c.__dict__ for c in clusters]
    suspects = storage.suspect_answers(db, suspect_answer(content), days, limit=5, now=_now()) if content else []
    if suspects:
        text += "\n\n" + storage.format_suspects(suspects)
    figures["suspect_answers"] = [s.__dict__ for s in suspects]
    return figures, text


def cmd_stats(args, content: Content | None) -> int:
    import storage

    db = storage.open_db(storage.default_db_path())
    figures, text = stats_report(db, content, args.days)
    print(json.dumps(figures, ensure_ascii=False, default=str, indent=2) if args.json else text)
    return 0


def cmd_gaps(args, content: Content | None) -> int:
    import storage

    db = storage.open_db(storage.default_db_path())
    clusters = storage.gap_clusters(db, nearest_entry(content) if content else None, args.days, now=_now())
    print(storage.format_gaps(clusters) if clusters else "没有未回答的问题。")
    if content is not None:
        print()
        print(storage.format_suspects(storage.suspect_answers(db, suspect_answer(content), args.days, now=_now())))
    return 0


def cmd_export(args, content: Content | None) -> int:
    import storage

    try:
        since = date.fromisoformat(args.since)
    except ValueError:
        print(f"--since expects a date like 2026-01-31, got {args.since!r}", file=sys.stderr)
        return 2
    db = storage.open_db(storage.default_db_path())
    count = storage.export_rows(db, since, args.format, sys.stdout)
    print(f"exported {count} rows", file=sys.stderr)
    return 0


def cmd_purge(args, content: Content | None) -> int:
    import storage

    if args.older_than < 0:
        print("--older-than expects a number of days ≥ 0", file=sys.stderr)
        return 2
    db = storage.open_db(storage.default_db_path())
    print(f"purged {storage.purge(db, args.older_than, _now())} queries older than {args.older_than} days")
    return 0


def cmd_versions(args, content: Content | None) -> int:
    import storage

    db = storage.open_db(storage.default_db_path())
    versions = storage.list_versions(db, args.limit)
    if not versions:
        print("no versions recorded yet (the bot records one at start-up and at every reload, publish, rollback)")
    for v in versions:
        print(f"{v.id}\t{v.ts[:19]}\t{v.action}\t{v.digest}\t{v.summary[:80]}")
    return 0


def cmd_rollback(args, content: Content | None) -> int:
    import storage
    from handlers.content.admin import ContentAdmin
    from common.settings import content_root
    from handlers.core.pipeline import Assistant

    if content is None:
        print("the current content is invalid; fix it or restore files by hand", file=sys.stderr)
        return 1
    admin = ContentAdmin(content_root(), Assistant(content), storage.open_db(storage.default_db_path()))
    candidate, label = admin.rollback(args.version)
    if candidate is None:
        print(label, file=sys.stderr)
        return 1
    if not candidate.ok:
        print("\n".join(str(p) for p in candidate.errors), file=sys.stderr)
        return 1
    print(f"restored {label}: " + "；".join(candidate.diff))
    print("a running bot picks this up with /reload (or at once with ZHIBU_WATCH=1)")
    return 0


def add_commands(sub, wrap) -> None:
    """Register the admin subcommands; `wrap(fn)` supplies the loaded content."""
    stats = sub.add_parser(
        "stats", help="query-log figures: per day, top entries/policies, declined, latency, feedback"
    )
    stats.add_argument("--days", type=int, default=None, help="only the last N days")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=wrap(cmd_stats))
    gaps = sub.add_parser("gaps", help="clusters of declined and low-confidence questions (the KB's to-do list)")
    gaps.add_argument("--days", type=int, default=None)
    gaps.set_defaults(func=wrap(cmd_gaps))
    export = sub.add_parser("export", help="export queries since a date")
    export.add_argument("--since", required=True, help="YYYY-MM-DD")
    export.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    export.set_defaults(func=wrap(cmd_export))
    purge = sub.add_parser("purge", help="delete queries (and their feedback) older than N days")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.set_defaults(func=wrap(cmd_purge))
    versions = sub.add_parser("versions", help="list recorded versions of the YAML (newest first)")
    versions.add_argument("--limit", type=int, default=20)
    versions.set_defaults(func=wrap(cmd_versions))
    rollback = sub.add_parser("rollback", help="restore the YAML files of a recorded version")
    rollback.add_argument("version", type=int)
    rollback.set_defaults(func=wrap(cmd_rollback))
