"""Helpers of the reliability suite: sizes, the real bot process against the local Bot API, figures.

One suite, two sizes. ``ZHIBU_RELIABILITY=full`` (what ``make reliability`` sets) selects the sizes of
issue 8 (10,000 property messages, a 10,000-update burst from 500 users); without it the short form runs
(it is part of ``make test``). Everything runs offline on 127.0.0.1, every wait is bounded, and timings
are recorded (printed in the "reliability figures" summary at the end of the run), never asserted.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE.parent))

from fake_bot_api import FakeBotAPI  # noqa: E402

FULL = os.environ.get("ZHIBU_RELIABILITY", "").strip().lower() == "full"
ADMIN = 4242


@dataclass(frozen=True)
class Sizes:
    property_messages: int  # in-process through Assistant.respond
    process_sample: int  # the same kinds of messages through the real process
    burst_updates: int  # pushed at once
    burst_users: int
    fanout_groups: int  # subscribed groups in the SIGKILL test


SIZES = Sizes(10_000, 1_000, 10_000, 500, 300) if FULL else Sizes(400, 200, 1_000, 500, 300)

#: name -> value, printed at the end of the run (and copied into docs/reliability.md by hand).
FIGURES: dict[str, object] = {}


def record(name: str, value) -> None:
    FIGURES[name] = value


# -- waiting ------------------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05, what: str = "") -> object:
    """Poll `predicate` until it returns something truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def wait_settled(api: FakeBotAPI, done: Callable[[], bool], timeout: float, quiet: float = 5.0) -> bool:
    """Wait until `done()` or until the bot has taken every pushed update and made no API call other than
    getUpdates for `quiet` seconds (it has nothing left to say); False if `done()` never became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        with api._lock:
            taken = not api._pending
            last = max((c.t_done for c in reversed(api.call_log[-200:]) if c.method != "getUpdates"), default=0.0)
        if taken and time.monotonic() - last > quiet:
            return bool(done())
        time.sleep(0.1)
    return bool(done())


def sends(api: FakeBotAPI, since: int = 0, method: str = "sendMessage"):
    """Successful calls of `method` from call index `since` on (Call objects, with timestamps)."""
    with api._lock:
        log = api.call_log[since:]
    return [c for c in log if c.method == method and c.ok]


def count_rows(db: Path, sql: str = "select count(*) from queries where channel = 'telegram'", *args) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


# -- the real process ---------------------------------------------------------------------------------


class BotProcess:
    """`python bot.py run` pointed at a FakeBotAPI; stdout/stderr go to files (a full pipe would block it)."""

    def __init__(self, api: FakeBotAPI, db: Path, workdir: Path, **env: str):
        self.api, self.db, self.workdir = api, db, workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIBU_", "TELEGRAM_"))}
        self.env.update(
            TELEGRAM_BOT_TOKEN=api.token,
            ZHIBU_API_BASE_URL=api.base_url,
            ZHIBU_API_BASE_FILE_URL=api.base_file_url,
            ZHIBU_DB=str(db),
            ZHIBU_ADMIN_IDS=str(ADMIN),
            ZHIBU_RATE_PER_SECOND="0",
            ZHIBU_GROUP_RATE_PER_MINUTE="0",
        )
        self.env.update(env)
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.stderr_path = workdir / "bot.stderr"

    def start(self, timeout: float = 60) -> "BotProcess":
        since = self.api.mark()
        self.starts += 1
        with open(self.workdir / "bot.stdout", "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bot.py"), "run"], env=self.env, cwd=ROOT, stdout=out, stderr=err
            )
        try:
            self.api.wait_for(lambda method, _: method == "setMyCommands", timeout=timeout, since=since)
        except AssertionError:
            self.kill()
            raise AssertionError(f"the bot did not start; stderr:\n{self.stderr()[-3000:]}") from None
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 60) -> int:
        """Graceful stop (SIGTERM: PTB shuts down, the query log flushes); the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


class Chat:
    """A private chat (or a group) of its own, so tests never share pending state."""

    def __init__(self, api: FakeBotAPI, chat_id: int, user_id: int | None = None, chat_type: str = "private"):
        self.api, self.id, self.type = api, chat_id, chat_type
        self.user_id = user_id if user_id is not None else abs(chat_id)

    def say(self, text: str, **kw) -> dict:
        return self.api.send_text(text, chat_id=self.id, user_id=self.user_id, chat_type=self.type, **kw)

    def expect(self, contains: str | None = None, since: int = 0, timeout: float = 20) -> dict:
        return self.api.wait_sent(chat_id=self.id, contains=contains, since=since, timeout=timeout)

    def ask(self, text: str, contains: str | None = None, timeout: float = 20, **kw) -> dict:
        since = self.api.mark()
        self.say(text, **kw)
        return self.expect(contains, since, timeout)


def copy_content(root: Path) -> Path:
    """A private copy of knowledge/ and rules/ YAML (ZHIBU_CONTENT_ROOT), so tests may change it."""
    for folder in ("knowledge", "rules"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for path in (ROOT / folder).glob("*.yaml"):
            shutil.copy(path, root / folder / path.name)
    return root
