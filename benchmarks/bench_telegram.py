"""End-to-end Telegram throughput: updates/s through PTB to sendMessage, and update-to-reply latency."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from benchmarks.common import ROOT, percentile

sys.path.insert(0, str(ROOT / "tests"))
from fake_bot_api import FakeBotAPI  # noqa: E402

QUESTIONS = ("入党要几个介绍人", "预备期从哪天算", "党费怎么交", "支委会多久开一次", "今天天气怎么样",
             "我们公司只有2名正式党员，能单独成立支部吗", "積極分子要幾個培養聯繫人", "三必访是什么")


def _start(api: FakeBotAPI, db: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIBU_", "TELEGRAM_"))}
    # The limiter's caps are Telegram's (30/s); measure the bot itself with them off.
    env.update(TELEGRAM_BOT_TOKEN=api.token, ZHIBU_API_BASE_URL=api.base_url, ZHIBU_API_BASE_FILE_URL=api.base_file_url,
               ZHIBU_DB=db, ZHIBU_RATE_PER_SECOND="0", ZHIBU_GROUP_RATE_PER_MINUTE="0")
    since = len(api.call_log)
    proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "run"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api.wait_for(lambda m, _: m == "setMyCommands", timeout=60, since=since)
    return proc


def _sends(api: FakeBotAPI, since: int) -> list:
    return [c for c in api.call_log[since:] if c.method == "sendMessage" and c.ok]


def burst(api: FakeBotAPI, updates: int, users: int) -> dict:
    """Push `updates` messages from `users` users at once; time until every one is answered."""
    since = len(api.call_log)
    started = time.monotonic()
    for i in range(updates):
        user = 700_000 + i % users
        api.send_text(QUESTIONS[i % len(QUESTIONS)], chat_id=user, user_id=user)
    deadline = started + 300
    while len(_sends(api, since)) < updates and time.monotonic() < deadline:
        time.sleep(0.05)
    sends = _sends(api, since)
    elapsed = max(c.t for c in sends) - started if sends else float("inf")
    return {"updates": updates, "answered": len(sends), "seconds": elapsed, "updates_per_s": len(sends) / elapsed}


def latency(api: FakeBotAPI, samples: int) -> list[float]:
    """One update at a time: seconds from push to its sendMessage."""
    out = []
    for i in range(samples):
        since = len(api.call_log)
        pushed = time.monotonic()
        api.send_text(QUESTIONS[i % len(QUESTIONS)], chat_id=900_000 + i, user_id=900_000 + i)
        call = api.wait_for(lambda m, p: m == "sendMessage", timeout=30, since=since)
        done = next(c for c in reversed(api.call_log) if c.params is call)
        out.append(done.t - pushed)
    return out


def run(updates: int = 3000, users: int = 500, samples: int = 300) -> dict:
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        proc = _start(api, os.path.join(tmp, "bench.db"))
        try:
            latency(api, 20)  # warm up
            lat = latency(api, samples)
            result = burst(api, updates, users)
        finally:
            proc.terminate()
            proc.wait(30)
    result.update(users=users, latency_p50_ms=percentile(lat, 50) * 1000, latency_p99_ms=percentile(lat, 99) * 1000)
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
