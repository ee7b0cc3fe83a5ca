"""Admin updates without a restart: validate a candidate, diff it, replay real questions, publish, roll back.

Everything here is Telegram-free; /reload, uploads, /versions and /rollback (and the CLI) call it. A candidate
is built in a temporary copy of knowledge/ and rules/, so the live files and the live Content are untouched
until publish() writes the files atomically (temp file + rename) and swaps the Content in one assignment.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common.problems import Problem
from handlers.content.build import build
from handlers.content.content import Content
from handlers.content.diff import diff_contents
from handlers.core.pipeline import Assistant, Inbound

log = logging.getLogger("zhibu.admin")

CONTENT_DIRS = ("knowledge", "rules", "rules/vocabulary")  # vocabulary: facts and topics as data
MAX_UPLOAD = 1_000_000
REPLAY_DEFAULT = 500
RETIRE_AFTER = 60.0  # seconds a replaced version stays open for answers that started on it
MAX_RETIRED = 4  # replaced versions kept open at most (the oldest is closed first)


@dataclass(frozen=True)
class Change:
    """A logged question whose answer or verdict the candidate would change."""

    question: str
    before: str
    after: str


@dataclass
class Candidate:
    """A validated (or rejected) new version, ready to publish."""

    files: dict[str, bytes]  # relative path -> bytes: the whole candidate tree
    content: Content | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    replayed: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(6))
    base: str = ""  # the live version and the files on disk it was built on (publish compares and swaps)

    @property
    def ok(self) -> bool:
        return self.content is not None and not self.errors

    @property
    def digest(self) -> str:
        return tree_digest(self.files)


class StaleCandidate(ValueError):
    """Publishing refused: another version went live after this candidate was built on the one before it.
    The message is for the admin (Chinese)."""


def tree_digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()[:12]


def read_tree(root: Path) -> dict[str, bytes]:
    """Every YAML file of knowledge/ and rules/, by path relative to root."""
    return {f"{d}/{p.name}": p.read_bytes() for d in CONTENT_DIRS for p in sorted((root / d).glob("*.yaml"))}


def _outcome(reply) -> str:
    verdicts = ",".join(f"{v['rule_id']}={v['outcome']}" for v in reply.verdicts)
    return verdicts or (reply.entry_id or ("（婉拒）" if reply.fallback else reply.kind))


def replay(old: Content, new: Content, questions: list[str], today) -> list[Change]:
    """Re-answer logged questions with both versions; the ones whose entry or verdicts differ."""
    before, after = Assistant(old, today=today), Assistant(new, today=today)
    changes = []
    for question in questions:
        a = _outcome(before.respond(Inbound(question)))
        b = _outcome(after.respond(Inbound(question)))
        if a != b:
            changes.append(Change(question, a, b))
    return changes


class UploadRefused(ValueError):
    """An uploaded file's name cannot be placed; the message is for the admin (Chinese)."""


def target_for(filename: str, data: bytes, root: Path) -> str:
    """Where an uploaded file belongs: an existing file of that name (case-insensitively, so DUES.YAML is
    knowledge/dues.yaml), or by its top-level key. UploadRefused for a name that is not a plain YAML file."""
    name = Path(filename.replace("\\", "/")).name
    stem, dot, ext = name.rpartition(".")
    if not dot or ext.lower() not in ("yaml", "yml") or not stem:
        raise UploadRefused(f"文件名 {name} 不是 .yaml 文件，未处理。")
    if name.startswith("."):
        raise UploadRefused(f"文件名 {name} 以“.”开头（隐藏文件），未处理。请去掉开头的“.”后重新上传。")
    name = stem + ".yaml"
    for folder in CONTENT_DIRS:
        for existing in sorted((root / folder).glob("*.yaml")):
            if existing.name.lower() == name.lower():
                return f"{folder}/{existing.name}"
    head = data[:4000].decode("utf-8", errors="ignore")
    if "\npolicies:" in "\n" + head:
        return f"rules/{name}"
    if any(f"\n{key}:" in "\n" + head for key in ("facts", "topics", "checks", "macros")):
        return f"rules/vocabulary/{name}"
    return f"knowledge/{name}"


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ContentAdmin:
    """Builds, validates, publishes and rolls back content versions for one project root.

    `db` (optional) is the storage Database: versions and the audit trail go there, and replay reads the
    last logged questions from it.
    """

    def __init__(self, root: Path, assistant: Assistant, db=None):
        self.root = root
        self.assistant = assistant
        self.db = db
        self._owner = threading.get_ident()
        self._local = threading.local()  # one storage connection per worker thread
        self._open_another = None
        if db is not None:
            import storage

            self._open_another = storage.opener(db)
        self._retired: list[tuple[float, Content]] = []
        self._swap_lock = threading.Lock()  # one reload/publish/rollback at a time

    def _retire(self, old: Content) -> None:
        """Close replaced versions only after RETIRE_AFTER: an answer or replay may still be running on them.
        At most MAX_RETIRED wait, oldest closed first: reloads in quick succession must not pile up versions
        (each one's objects make every full garbage collection longer)."""
        now = time.monotonic()
        keep = []
        for retired_at, content in self._retired:
            if now - retired_at > RETIRE_AFTER:
                content.close()
            else:
                keep.append((retired_at, content))
        keep.append((now, old))
        while len(keep) > MAX_RETIRED:
            keep.pop(0)[1].close()
        self._retired = keep

    def _store(self, fn, *args, **kwargs):
        """Storage faults never stop an admin action: log and carry on."""
        if self.db is None:
            return None
        import storage

        try:
            db = self.db
            if threading.get_ident() != self._owner:
                if getattr(self._local, "db", None) is None:
                    self._local.db = self._open_another()
                db = self._local.db
            return getattr(storage, fn)(db, *args, **kwargs)
        except Exception:  # noqa: BLE001
            log.exception("storage: %s failed", fn)
            return None

    def versions(self, limit: int = 15) -> list:
        """Recorded versions, newest first (empty without storage)."""
        return self._store("list_versions", limit) or []

    def questions(self, limit: int) -> list[str]:
        return self._store("recent_questions", limit) or []

    def audit(self, action: str, ok: bool, detail: str = "", admin: str | None = None) -> None:
        self._store("audit", action, ok, detail, admin)

    def record_baseline(self) -> None:
        """Remember the files running now, so the first publish can be rolled back."""
        files = read_tree(self.root)
        self._store("record_version", _texts(files), tree_digest(files), "baseline", "启动时的版本")

    def candidate(
        self, overrides: dict[str, bytes] | None = None, replay_last: int = REPLAY_DEFAULT, whole_tree: bool = False
    ) -> Candidate:
        """Load the current tree plus overrides (or exactly `overrides` when whole_tree) and validate it fully."""
        on_disk = read_tree(self.root)
        live = self.assistant.content
        files = {} if whole_tree else dict(on_disk)
        files.update(overrides or {})
        candidate = Candidate(files, base=_base(live, on_disk))
        built = build(files)  # load, self-test, golden cases, lint
        candidate.errors, candidate.warnings = built.errors, built.warnings
        content = built.content
        if content is None:
            return candidate
        candidate.content = content
        candidate.diff = diff_contents(live, content)
        if replay_last:
            questions = self.questions(replay_last)
            candidate.replayed = len(questions)
            candidate.changes = replay(live, content, questions, self.assistant.today)
        return candidate

    def reload(self, admin: str | None = None) -> Candidate:
        """Re-read knowledge/ and rules/ from disk; swap only if everything validates."""
        with self._swap_lock:
            candidate = self.candidate(replay_last=0)
            if candidate.ok:
                self._retire(self.assistant.swap(candidate.content))
                self._store(
                    "record_version",
                    _texts(candidate.files),
                    candidate.digest,
                    "reload",
                    "；".join(candidate.diff),
                    admin,
                )
        self.audit("reload", candidate.ok, _detail(candidate), admin)
        return candidate

    def rollback(self, version_id: int | None = None, admin: str | None = None) -> tuple[Candidate | None, str]:
        """Restore the files of a stored version (default: the one before the latest) and publish them."""
        versions = self._store("list_versions", 50) or []
        if version_id is None:
            version_id = versions[1].id if len(versions) > 1 else None
        files = self._store("version_files", version_id) if version_id is not None else None
        if files is None:
            self.audit("rollback", False, f"no version {version_id}", admin)
            return None, "没有可回滚的版本。" if version_id is None else f"没有版本 {version_id}。"
        candidate = self.candidate({k: v.encode("utf-8") for k, v in files.items()}, replay_last=0, whole_tree=True)
        candidate.base = ""  # a rollback names the exact version wanted, whatever is live now
        if candidate.ok:
            self.publish(candidate, admin, action="rollback", note=f"回滚到版本 {version_id}")
        else:
            self.audit("rollback", False, _detail(candidate), admin)
        return candidate, f"版本 {version_id}"

    def publish(
        self, candidate: Candidate, admin: str | None = None, action: str = "publish", note: str = ""
    ) -> Content:
        """Write the candidate's files atomically, make it the live version, record it."""
        if not candidate.ok:
            raise ValueError("cannot publish a candidate with errors")
        with self._swap_lock:
            return self._publish(candidate, admin, action, note)

    def _publish(self, candidate: Candidate, admin: str | None, action: str, note: str) -> Content:
        current = read_tree(self.root)
        live = self.assistant.content
        if candidate.base and candidate.base != _base(live, current):
            # Compare and swap: the candidate holds every file as it was when it was built, so publishing it
            # now would silently undo whatever was published (or edited on disk) since.
            self.audit(action, False, f"stale: built on {candidate.base.split('/')[0]}, live {live.version}", admin)
            raise StaleCandidate(
                f"未发布：这个版本是在 {candidate.base.split('/')[0]} 的基础上校验的，"
                f"之后已有新版本 {live.version} 生效（或文件在磁盘上被修改）。直接发布会覆盖那次修改。"
                "请重新上传文件，在最新版本上重新校验后再发布。"
            )
        for rel, data in candidate.files.items():
            if current.get(rel) != data:
                atomic_write(self.root / rel, data)
        for rel in set(current) - set(candidate.files):
            (self.root / rel).unlink(missing_ok=True)
        self._retire(self.assistant.swap(candidate.content))
        summary = "；".join(filter(None, [note, *candidate.diff]))
        self._store("record_version", _texts(candidate.files), candidate.digest, action, summary, admin)
        self.audit(action, True, summary, admin)
        return candidate.content


def _base(live: Content, on_disk: dict[str, bytes]) -> str:
    return f"{live.version}/{tree_digest(on_disk)}"


def _texts(files: dict[str, bytes]) -> dict[str, str]:
    return {k: v.decode("utf-8", errors="replace") for k, v in files.items()}


def _detail(candidate: Candidate) -> str:
    if candidate.ok:
        return "；".join(candidate.diff)
    return "\n".join(str(p) for p in candidate.errors[:20])
