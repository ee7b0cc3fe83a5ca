"""Shared fixtures: the project's real content, loaded once, and an Assistant built on it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.content.content import load_content  # noqa: E402
from handlers.core.pipeline import Assistant  # noqa: E402

TODAY = date(2026, 11, 23)
DATA_FILES = ("sources.yaml", "categories.yaml")  # the registry files every knowledge folder needs


def knowledge_folder(root: Path) -> Path:
    """root/knowledge with the shipped sources registry and category list, for tests that write their own entries."""
    folder = root / "knowledge"
    folder.mkdir(parents=True, exist_ok=True)
    for name in DATA_FILES:
        (folder / name).write_bytes((ROOT / "knowledge" / name).read_bytes())
    return folder


@pytest.fixture(scope="session")
def content():
    loaded, problems = load_content(ROOT)
    assert loaded is not None, "\n".join(map(str, problems))
    return loaded


@pytest.fixture
def assistant(content):
    """The app as every channel uses it, with a fixed date and no query log."""
    return Assistant(content, querylog=None, today=lambda: TODAY)
