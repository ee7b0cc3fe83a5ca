"""Candidates are built in a worker process (handlers/build_worker.py): the same result as in-process, a dead
worker is replaced, the worker diffs against the live version, and replaced versions do not pile up."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from handlers.content.build_worker import Builder, build
from handlers.content.content import load_content
from handlers.content.admin import MAX_RETIRED, ContentAdmin, read_tree
from handlers.core.pipeline import Assistant, Inbound
from knowledge import load as knowledge_load

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def worker():
    builder = Builder(in_process=False)
    yield builder
    builder.close()


@pytest.fixture(scope="module")
def tree():
    return read_tree(ROOT)


def broken(tree: dict[str, bytes]) -> dict[str, bytes]:
    files = dict(tree)
    files["knowledge/zz_broken.yaml"] = "version: 1\nentries:\n  - id: x.y\n    title: 缺答案\n".encode()
    return files


def summary(built):
    return (built.version, [str(p) for p in built.errors], [str(p) for p in built.warnings],
            len(built.kb.entries) if built.kb else None, built.diff)


@pytest.mark.parametrize("make", [lambda t: t, broken], ids=["shipped", "broken"])
def test_the_worker_builds_what_the_calling_process_would(worker, tree, make):
    files = make(tree)
    assert summary(worker.build(files)) == summary(build(files))


def test_a_good_build_becomes_a_live_content_here(worker, tree):
    built = worker.build(tree)
    content = built.content()
    try:
        assert not built.errors and content.version == built.version
        reply = Assistant(content).respond(Inbound("支部有2个正式党员能成立支部吗"))
        assert reply.kind == "situation" and reply.verdicts  # the rulesets were compiled in this process
    finally:
        content.close()


def test_a_broken_build_has_located_errors_and_no_content(worker, tree):
    built = worker.build(broken(tree))
    assert built.content() is None
    assert any(str(p).startswith("knowledge/zz_broken.yaml:3") and "answer" in str(p) for p in built.errors)


def test_a_dead_worker_is_replaced(worker, tree):
    worker.build(tree)
    for process in list(worker._pool._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
    built = worker.build(tree)                   # BrokenProcessPool inside: a new worker does the build
    assert not built.errors and built.kb is not None


def test_the_worker_diffs_against_the_live_version_it_built(worker, tree):
    live = worker.build(tree)
    files = dict(tree)
    files["knowledge/zz_new.yaml"] = ("version: 1\nentries:\n  - id: local.new_rule\n    title: 新增的本地做法\n"
                                      "    category: 基层实践\n    questions: [本地新做法是什么, 新做法怎么执行, 支部的新规矩有哪些]\n    answer: 按支部决定执行。\n"
                                      "    source: 本支部决定\n    verified: false\n    local_practice: true\n").encode()
    candidate = worker.build(files, live.version)
    assert candidate.diff == ["条目新增 1：local.new_rule"]
    assert worker.build(files, "a-version-it-never-built").diff is None  # the caller diffs instead


def test_admin_reload_uses_the_worker_and_its_diff(tmp_path, tree):
    for rel, data in tree.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    content, problems = load_content(tmp_path)
    assert content is not None, problems
    builder = Builder(in_process=False)
    try:
        admin = ContentAdmin(tmp_path, Assistant(content), builder=builder)
        admin.warm_up()
        candidate = admin.reload()
        assert candidate.ok and candidate.diff == ["内容没有变化"]
        assert admin.assistant.content is candidate.content
    finally:
        builder.close()


def test_replaced_versions_do_not_pile_up(tmp_path):
    content, _ = load_content(ROOT)
    admin = ContentAdmin(tmp_path, Assistant(content), builder=Builder(in_process=True))
    versions = [load_content(ROOT)[0] for _ in range(MAX_RETIRED + 3)]
    for version in versions:
        admin._retire(version)
    assert len(admin._retired) == MAX_RETIRED
    assert [c for _, c in admin._retired] == versions[-MAX_RETIRED:]
    for version in versions[:-MAX_RETIRED]:
        assert version.engine._closed                # the oldest were closed at once
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
    assert len(parsed) == count and second.entries == first.entries       # nothing parsed again
    edited = sorted((tmp_path / "knowledge").glob("*.yaml"))[0]
    edited.write_bytes(edited.read_bytes() + b"\n# edited\n")
    knowledge_load.load_knowledge(tmp_path / "knowledge", tmp_path)
    assert parsed[count:] == [f"knowledge/{edited.name}"]                # only the edited file


def test_a_file_with_problems_reports_them_every_time(tmp_path):
    (tmp_path / "knowledge").mkdir()
    bad = "version: 1\nentries:\n  - id: x.y\n    title: 缺答案\n"
    (tmp_path / "knowledge" / "bad.yaml").write_text(bad, encoding="utf-8")
    reports = [[str(p) for p in knowledge_load.load_knowledge(tmp_path / "knowledge", tmp_path)[1]] for _ in range(2)]
    assert reports[0] == reports[1] and any("bad.yaml:3" in r for r in reports[0])


def test_the_worker_exits_when_the_bot_is_killed(tmp_path):
    """A SIGKILLed bot must not leave its build worker behind (it would hold its memory forever)."""
    import subprocess
    import sys
    import time
    script = tmp_path / "owner.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from handlers.content.build_worker import Builder\n"
        "if __name__ == '__main__':\n"
        "    builder = Builder(in_process=False)\n"
        "    pool = builder._worker()\n"
        "    pool.submit(time.sleep, 0).result()\n"
        "    print(*[p.pid for p in pool._processes.values()], flush=True)\n"
        "    time.sleep(60)\n", encoding="utf-8")
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker_pid = int(owner.stdout.readline())
        owner.kill()
        owner.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(worker_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(worker_pid, signal.SIGKILL)
            pytest.fail("the build worker outlived its killed parent")
    finally:
        owner.kill()


def test_a_worker_that_cannot_start_falls_back_to_building_here(tree, monkeypatch):
    import handlers.content.build_worker as build_worker

    def refuse(*args, **kwargs):
        raise OSError("no semaphores here")

    monkeypatch.setattr(build_worker, "ProcessPoolExecutor", refuse)
    builder = Builder(in_process=False)
    built = builder.build(tree)
    assert not built.errors and built.kb is not None and builder.in_process
