"""The validated knowledge base and its matcher, kept on disk between runs of the same content and code.

Parsing and validating ~30 YAML files and building the matcher is most of a cold start (~0.4 s of
`python bot.py ask` at 432 entries); unpickling the result takes ~15 ms. The cache key is a hash of every
file in the knowledge folder and of this package's and `common/`'s source, so any edit to the YAML or to
the code that reads it builds afresh. The cache is an optimisation only: a missing, unreadable, stale or
unwritable cache file means the knowledge base is loaded as usual, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

from knowledge.load import load_knowledge
from knowledge.match import Matcher

log = logging.getLogger("zhibu.cache")

CACHE_DIR = ".cache"  # below the content root (ignored by git)
_CODE_DIRS = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "common")


def _key(folder: Path) -> str:
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for path in sorted(folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for code in _CODE_DIRS:
        for path in sorted(code.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def load_knowledge_cached(folder: Path, root: Path):
    """(kb, matcher, problems) as load_knowledge + Matcher would give them; kb and matcher are None when invalid."""
    try:
        key = _key(folder)
        path = root / CACHE_DIR / f"knowledge-{key}.pickle"
        if path.exists():
            with path.open("rb") as f:
                return pickle.load(f)
    except Exception as exc:  # noqa: BLE001  (a cache that cannot be read is rebuilt, never fatal)
        log.debug("knowledge cache not used: %r", exc)
        path = None
    kb, problems = load_knowledge(folder, root)
    matcher = Matcher(kb) if kb is not None and not any(p.severity == "error" for p in problems) else None
    result = (kb, matcher, problems)
    if matcher is not None and path is not None:
        _store(path, result)
    return result


def _store(path: Path, result) -> None:
    """Write atomically (a temporary file renamed into place); drop older cache files of this folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".knowledge-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        for old in path.parent.glob("knowledge-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except Exception as exc:  # noqa: BLE001  (a read-only folder: no cache, same answers)
        log.debug("knowledge cache not written: %r", exc)
