"""Fixtures of the reliability suite (helpers live in reliability_support.py) and the figures summary.

`make reliability` runs it with ZHIBU_RELIABILITY=full (the sizes of issue 8); `make test` runs the short form.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability_support import FIGURES, FULL, BotProcess, FakeBotAPI


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print what the tests measured (timings are recorded, never asserted)."""
    if not FIGURES:
        return
    terminalreporter.section(f"reliability figures ({'full' if FULL else 'short'} form)")
    for name, value in FIGURES.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
        terminalreporter.write_line(f"{name}: {shown}")


@pytest.fixture
def api():
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def make_bot(tmp_path):
    """make_bot(api, db=None, **env) -> a started BotProcess; every one is stopped at teardown."""
    started: list[BotProcess] = []

    def make(api: FakeBotAPI, db: Path | None = None, start: bool = True, **env: str) -> BotProcess:
        bot = BotProcess(api, db or tmp_path / "zhibu.db", tmp_path, **env)
        started.append(bot)
        return bot.start() if start else bot

    yield make
    for bot in started:
        bot.stop()
