"""The secret salt that turns user ids into stable, unlinkable hashes."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path

from common.settings import env

from .db import is_memory_path

log = logging.getLogger("zhibu.storage")

SALT_BYTES = 32
_process_salt = secrets.token_bytes(SALT_BYTES)


def load_salt(db_path: str | os.PathLike | None) -> bytes:
    """Return the salt: ``ZHIBU_SALT`` if set, else the file ``<db_path>.salt`` (created once, mode 0600).

    An in-memory database gets a random salt per process. If the salt file cannot be created (a read-only
    folder), a per-process salt is used with a warning: ids stay private, only hashes change across restarts.
    """
    configured = env("ZHIBU_SALT")
    if configured:
        return configured.encode("utf-8")
    if is_memory_path(db_path):
        return _process_salt
    salt_file = Path(f"{os.fspath(db_path)}.salt")
    try:
        return _read_or_create(salt_file)
    except OSError as exc:
        log.warning(
            "salt file %s cannot be read or created (%s); using a per-process salt, so user hashes "
            "will not match across restarts. Hint: set ZHIBU_SALT or make the folder writable.",
            salt_file,
            exc,
        )
        return _process_salt


def _read_or_create(salt_file: Path) -> bytes:
    """Read the salt file, creating it atomically (temp file + hard link) when it does not exist."""
    if not salt_file.exists():
        salt_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = salt_file.with_name(f"{salt_file.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(SALT_BYTES))
            try:
                os.link(tmp, salt_file)  # fails if another process created it first: theirs wins
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    salt = salt_file.read_bytes()
    if len(salt) < 16:
        raise OSError(f"salt file {salt_file} holds {len(salt)} bytes, expected {SALT_BYTES}")
    return salt


def hash_user_id(salt: bytes, user_id: object) -> str | None:
    """Return HMAC-SHA256(salt, str(user_id)) as hex, or None when `user_id` is None."""
    if user_id is None:
        return None
    return hmac.digest(salt, str(user_id).encode("utf-8"), "sha256").hex()
