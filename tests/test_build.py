"""Candidates are built and validated in the bot's process (handlers/content/build.py): a good build is a live
Content, a broken one has located errors, a reload diffs against the live version, replaced versions do not
pile up, and unchanged files are parsed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.content.admin import MAX_RETIRED, ContentAdmin, read_tree
from handlers.content.build import build
from handlers.content.content import load_content
from handlers.core.pipeline import Assistant, Inbound
from knowledge import load as knowledge_load

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tree():
    return read_tree(ROOT)


def broken(tree: dict[str, bytes]) -> dict[str, bytes]:
    files = dict(tree)
    files["knowledge/zz_broken.yaml"] = "version: 1\nentries:\n  - id: x.y\n    title: 缺答案\n".encode()
    return files


def test_a_good_build_is_a_live_content(tree):
    built = build(tree)
    try:
        assert not built.errors and built.content is not None
        reply = Assistant(built.content).respond(Inbound("支部有2个正式党员能成立支部吗"))
        assert reply.kind == "situation" and reply.verdicts
    finally:
        built.content.close()


def test_a_broken_build_has_located_errors_and_no_content(tree):
    built = build(broken(tree))
    assert built.content is None
    assert any("knowledge/zz_broken.yaml:3" in str(p) for p in built.errors), built.errors


def test_admin_reload_diffs_against_the_live_version(tmp_path, tree):
    for rel, data in tree.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    live, _ = load_content(tmp_path)
    admin = ContentAdmin(tmp_path, Assistant(live))
    candidate = admin.reload()
    assert candidate.ok and candidate.diff == ["内容没有变化"]
    assert admin.assistant.content is candidate.content


def test_replaced_versions_do_not_pile_up(tmp_path):
    content, _ = load_content(ROOT)
    admin = ContentAdmin(tmp_path, Assistant(content))
    versions = [load_content(ROOT)[0] for _ in range(MAX_RETIRED + 3)]
    for version in versions:
        admin._retire(version)
    assert len(admin._retired) == MAX_RETIRED
    assert [c for _, c in admin._retired] == versions[-MAX_RETIRED:]
    for version in versions[:-MAX_RETIRED]:
        assert version.engine._closed  # the oldest were closed at once
    for version in versions[-MAX_RETIRED:]:
        assert not version.engine._closed
        version.close()


def test_unchanged_knowledge_files_are_parsed_once(tmp_path, tree, monkeypatch):
    for rel, data in tree.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    knowledge_load._file_memo.clear()
    parsed = []
    original = knowledge_load.parse_yaml
    monkeypatch.setattr(knowledge_load, "parse_yaml", lambda raw, name: parsed.append(name) or original(raw, name))
    first, _ = knowledge_load.load_knowledge(tmp_path / "knowledge", tmp_path)
    count = len(parsed)
    assert count >= 5
    second, _ = knowledge_load.load_knowledge(tmp_path / "knowledge", tmp_path)
    assert len(parsed) == count and second.entries == first.entries  # nothing parsed again
    edited = sorted((tmp_path / "knowledge").glob("*.yaml"))[0]
    edited.write_bytes(edited.read_bytes() + b"\n# edited\n")
    knowledge_load.load_knowledge(tmp_path / "knowledge", tmp_path)
    assert parsed[count:] == [f"knowledge/{edited.name}"]  # only the edited file


def test_a_file_with_problems_reports_them_every_time(tmp_path):
    (tmp_path / "knowledge").mkdir()
    bad = "version: 1\nentries:\n  - id: x.y\n    title: 缺答案\n"
    (tmp_path / "knowledge" / "bad.yaml").write_text(bad, encoding="utf-8")
    reports = [[str(p) for p in knowledge_load.load_knowledge(tmp_path / "knowledge", tmp_path)[1]] for _ in range(2)]
    assert reports[0] == reports[1] and any("bad.yaml:3" in r for r in reports[0])
