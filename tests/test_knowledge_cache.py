"""The on-disk cache of the validated knowledge base (knowledge/cache.py): same answers, rebuilt on any change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import knowledge.cache as cache
from knowledge.normalize import normalize_text
from tests.conftest import ROOT


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return tmp_path


def test_a_second_load_comes_from_the_cache_and_answers_the_same(root, monkeypatch):
    kb, matcher, problems = cache.load_knowledge_cached(root / "knowledge", root)
    assert list((root / cache.CACHE_DIR).glob("knowledge-*.pickle"))
    monkeypatch.setattr(cache, "load_knowledge", lambda *a: pytest.fail("the cache was not used"))
    kb2, matcher2, problems2 = cache.load_knowledge_cached(root / "knowledge", root)
    assert [e.id for e in kb2.entries] == [e.id for e in kb.entries] and problems2 == problems
    question = normalize_text("预备期多长")
    assert matcher2.decide(question).top.entry_id == matcher.decide(question).top.entry_id


def test_an_edited_file_is_loaded_afresh(root):
    kb, _, _ = cache.load_knowledge_cached(root / "knowledge", root)
    path = root / "knowledge" / "dues.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: 在职党员党费交纳比例", "title: 党费比例（改）"),
        encoding="utf-8",
    )
    kb2, _, _ = cache.load_knowledge_cached(root / "knowledge", root)
    assert kb2.by_id["dues.rate_table"].title == "党费比例（改）" != kb.by_id["dues.rate_table"].title
    assert len(list((root / cache.CACHE_DIR).glob("knowledge-*.pickle"))) == 1  # the stale one is gone


def test_an_unreadable_cache_file_is_rebuilt_not_fatal(root):
    cache.load_knowledge_cached(root / "knowledge", root)
    (stored,) = (root / cache.CACHE_DIR).glob("knowledge-*.pickle")
    stored.write_bytes(b"not a pickle")
    kb, matcher, problems = cache.load_knowledge_cached(root / "knowledge", root)
    assert kb is not None and matcher is not None


def test_invalid_knowledge_is_not_cached(root):
    (root / "knowledge" / "broken.yaml").write_text("version: 1\nentries: [{id: x}]\n", encoding="utf-8")
    kb, matcher, problems = cache.load_knowledge_cached(root / "knowledge", root)
    assert kb is None and matcher is None and problems
    assert not list((root / cache.CACHE_DIR).glob("knowledge-*.pickle"))
