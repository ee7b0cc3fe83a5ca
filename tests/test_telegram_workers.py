"""ZHIBU_WORKERS=2 end to end: a worker process really answers its users, is restarted when it dies, and
stops with the bot. (Every scripted conversation of test_telegram_e2e.py also runs with two processes.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_bot_api import FakeBotAPI  # noqa: E402
from test_telegram_e2e import ADMIN, ROOT, Chat  # noqa: E402

READY = re.compile(r"worker 1 ready \(pid (\d+)\)")


def start(api: FakeBotAPI, tmp: Path, **extra) -> tuple[subprocess.Popen, Path]:
    log = tmp / "bot.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIBU_", "TELEGRAM_"))}
    env.update(TELEGRAM_BOT_TOKEN=api.token, ZHIBU_API_BASE_URL=api.base_url, ZHIBU_API_BASE_FILE_URL=api.base_file_url,
               ZHIBU_DB=str(tmp / "w.db"), ZHIBU_ADMIN_IDS=str(ADMIN), ZHIBU_WORKERS="2", ZHIBU_LOG_LEVEL="INFO", **extra)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "run"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=out)
    return proc, log


def worker_pids(log: Path, count: int, timeout: float = 60) -> list[int]:
    """The pids of the first `count` 'worker 1 ready' lines, waiting for them to appear."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(p) for p in READY.findall(log.read_text(errors="replace"))]
        if len(pids) >= count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} 'worker 1 ready' lines in:\n{log.read_text(errors='replace')[-3000:]}")


def chat_of(api: FakeBotAPI, user: int) -> Chat:
    chat = Chat(api, user_id=user)
    chat.id = user
    return chat


def silent(api: FakeBotAPI, chat: Chat, since: int, seconds: float = 1.5) -> bool:
    time.sleep(seconds)
    return not [c for c in api.call_log[since:] if c.method == "sendMessage" and c.params.get("chat_id") == chat.id]


def test_a_worker_answers_its_users_is_restarted_when_it_dies_and_stops_with_the_bot(tmp_path):
    with FakeBotAPI() as api:
        proc, log = start(api, tmp_path)
        try:
            first = worker_pids(log, 1)[0]
            mine, theirs = chat_of(api, 7002), chat_of(api, 7003)  # user id mod 2: primary, worker 1
            assert "18" in mine.ask("入党年龄", "18", timeout=30)["text"]
            assert "18" in theirs.ask("入党年龄", "18", timeout=30)["text"]

            # Freeze the worker: its user waits, the primary's user does not. So the worker answers them.
            os.kill(first, signal.SIGSTOP)
            since = len(api.call_log)
            theirs.say("预备期多长")
            assert "1年" in mine.ask("预备期多长", "1年")["text"]
            assert silent(api, theirs, since)
            os.kill(first, signal.SIGCONT)
            assert "1年" in theirs.expect("1年", since)["text"]

            # Kill it: restarted, and its users are answered throughout.
            time.sleep(0.5)  # its report of the last answer reaches the primary
            os.kill(first, signal.SIGKILL)
            assert "党费" in theirs.ask("党费按什么基数算", "党费", timeout=30)["text"]
            second = worker_pids(log, 2)[1]
            assert second != first and "worker 1 exited" in log.read_text()
            os.kill(second, signal.SIGSTOP)  # the restarted worker has its users back
            since = len(api.call_log)
            theirs.say("入党要几个介绍人")
            assert silent(api, theirs, since)
            os.kill(second, signal.SIGCONT)
            assert "介绍人" in theirs.expect("介绍人", since)["text"]
            answers = [c for c in api.call_log if c.method == "sendMessage" and c.ok and c.params.get("chat_id") == theirs.id]
            assert len(answers) == 4  # each question once: nothing lost, nothing twice
        finally:
            proc.terminate()
            proc.wait(60)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{second}"):
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{second}"), "the worker outlived the bot"


def test_a_hung_worker_is_restarted_and_its_updates_answered(tmp_path):
    with FakeBotAPI() as api:
        proc, log = start(api, tmp_path, ZHIBU_WORKER_STALL_SECONDS="3")
        try:
            first = worker_pids(log, 1)[0]
            theirs = chat_of(api, 7005)
            assert "18" in theirs.ask("入党年龄", "18", timeout=30)["text"]
            time.sleep(0.5)  # its report that this one is handled reaches the primary
            os.kill(first, signal.SIGSTOP)  # hung: alive, holding its socket, answering nothing
            since = len(api.call_log)
            theirs.say("预备期多长")
            assert "1年" in theirs.expect("1年", since, timeout=30)["text"]  # the primary took it over
            assert "handled nothing for 3 s with 1 update(s) in hand" in log.read_text()
            second = worker_pids(log, 2)[1]
            assert second != first and not os.path.exists(f"/proc/{first}/status") or \
                "zombie" in open(f"/proc/{first}/status").read().lower()
            assert "介绍人" in theirs.ask("入党要几个介绍人", "介绍人", timeout=30)["text"]
            answers = [c.params["text"] for c in api.call_log if c.method == "sendMessage" and c.ok
                       and c.params.get("chat_id") == theirs.id]
            assert len(answers) == 3  # each question once: nothing lost, nothing twice
        finally:
            proc.terminate()
            proc.wait(60)
    assert proc.returncode == 0
