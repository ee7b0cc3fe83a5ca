"""Content versions (for rollback), the admin audit trail, and recent questions (for replay)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from .timeutil import utc_now


@dataclass(frozen=True)
class Version:
    id: int
    digest: str
    ts: str
    action: str
    summary: str
    admin_hash: str | None = None


def record_version(
    db: Database, files: dict[str, str], digest: str, action: str, summary: str = "", admin_hash: str | None = None
) -> int:
    """Store a whole version; returns its id (the same digest twice in a row is stored once)."""
    latest = latest_version(db)
    if latest is not None and latest.digest == digest and action == "baseline":
        return latest.id
    with db.conn:
        table = db["kb_versions"]
        table.insert(
            {
                "digest": digest,
                "files": json.dumps(files, ensure_ascii=False),
                "ts": utc_now(),
                "admin_hash": admin_hash,
                "action": action,
                "summary": summary,
            }
        )
        return table.last_pk


def _version(row: dict) -> Version:
    return Version(row["id"], row["digest"], row["ts"], row["action"], row["summary"] or "", row["admin_hash"])


def list_versions(db: Database, limit: int = 20) -> list[Version]:
    rows = db.query(
        "select id, digest, ts, action, summary, admin_hash from kb_versions order by id desc limit ?", [limit]
    )
    return [_version(r) for r in rows]


def latest_version(db: Database) -> Version | None:
    versions = list_versions(db, 1)
    return versions[0] if versions else None


def version_files(db: Database, version_id: int) -> dict[str, str] | None:
    rows = list(db.query("select files from kb_versions where id = ?", [version_id]))
    return json.loads(rows[0]["files"]) if rows else None


def audit(db: Database, action: str, ok: bool, detail: str = "", admin_hash: str | None = None) -> None:
    """Append one admin action to `admin_audit`."""
    with db.conn:
        db["admin_audit"].insert(
            {"ts": utc_now(), "admin_hash": admin_hash, "action": action, "ok": int(ok), "detail": detail[:2000]}
        )


def audit_log(db: Database, limit: int = 50) -> list[dict]:
    return list(
        db.query("select ts, admin_hash, action, ok, detail from admin_audit order by id desc limit ?", [limit])
    )


def recent_questions(db: Database, limit: int = 500) -> list[str]:
    """The last `limit` distinct questions people asked (newest first), for replaying a candidate."""
    rows = db.query(
        "select text from queries where text is not null and trim(text) != '' "
        "group by text order by max(ts) desc limit ?",
        [limit],
    )
    return [r["text"] for r in rows]
