"""ZHIBU_WATCH=1 (issue 17): after a save that cannot be loaded, the next valid save is still reloaded."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from pathlib import Path

import pytest

from handlers.content.admin import ContentAdmin
from handlers.content.content import load_content
from handlers.core.pipeline import Assistant
from handlers.telegram.admin import watch_files

ROOT = Path(__file__).resolve().parent.parent


def copy_content(dest: Path) -> Path:
    for folder in ("knowledge", "rules"):
        (dest / folder).mkdir(parents=True)
        for path in sorted((ROOT / folder).glob("*.yaml")):
            shutil.copyfile(path, dest / folder / path.name)
    return dest


async def wait_for(predicate, timeout: float) -> bool:
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.parametrize("first_save", ["vertical-tab", "reload-raises"])
async def test_a_valid_save_after_a_failed_one_is_reloaded(tmp_path, monkeypatch, first_save):
    root = copy_content(tmp_path)
    content, problems = load_content(root)
    assert content is not None, problems
    assistant = Assistant(content, querylog=None, today=lambda: date(2026, 11, 23))
    admin = ContentAdmin(root, assistant)
    path = root / "knowledge" / "dues.yaml"
    good = path.read_text(encoding="utf-8")
    calls = []
    if first_save == "reload-raises":  # whatever the first save does to the loader, the watcher lives on
        real = admin.reload
        monkeypatch.setattr(
            admin,
            "reload",
            lambda *a: (
                calls.append(1) or ((_ for _ in ()).throw(RuntimeError("boom")) if len(calls) == 1 else real(*a))
            ),
        )
    watcher = asyncio.create_task(watch_files(admin, root))
    try:
        await asyncio.sleep(1.0)  # the watcher is watching
        path.write_text(
            good.replace("。", "。\x0b", 1) if first_save == "vertical-tab" else good + "\n", encoding="utf-8"
        )
        await asyncio.sleep(3.0)
        assert assistant.content is content  # refused (or failed): the old version stays live
        path.write_text(good.replace("党费", "党费费", 1), encoding="utf-8")
        assert await wait_for(lambda: assistant.content is not content, timeout=60), "the valid save was not reloaded"
        assert not watcher.done()
    finally:
        watcher.cancel()
