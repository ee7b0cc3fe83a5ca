"""Reminder fan-out: one occurrence to 5,000 subscribed groups through PTB's rate limiter and the local Bot API."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.common import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from fake_bot_api import FakeBotAPI  # noqa: E402
from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402

import storage  # noqa: E402
from handlers.content.content import load_content  # noqa: E402
from handlers.core.pipeline import Assistant  # noqa: E402
from common.settings import Settings  # noqa: E402
from handlers.telegram.reminders import ReminderService  # noqa: E402

SUBSCRIBED = datetime(2026, 10, 20, tzinfo=timezone.utc)
DUE = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # theme_day, Monday 2 Nov 09:00 Asia/Shanghai


async def fan_out(api: FakeBotAPI, db, groups: int, rate: float) -> dict:
    content, _ = load_content(ROOT)
    now = DUE + timedelta(seconds=30)
    service = ReminderService(db, Assistant(content), Settings(), timedelta(hours=12), clock=lambda: now)
    bot = ExtBot(
        api.token, base_url=api.base_url, rate_limiter=AIORateLimiter(overall_max_rate=rate, group_max_rate=20)
    )
    async with bot:
        since = len(api.call_log)
        started = time.monotonic()
        delivered = await service.tick(bot)
        elapsed = time.monotonic() - started
        again = await service.tick(bot)  # a second tick must send nothing
    chats = Counter(c.params["chat_id"] for c in api.call_log[since:] if c.method == "sendMessage" and c.ok)
    return {
        "groups": groups,
        "rate_per_s": rate,
        "delivered": delivered,
        "distinct_chats": len(chats),
        "duplicates": sum(n - 1 for n in chats.values()),
        "second_tick_sent": again,
        "seconds": elapsed,
        "expected_seconds": groups / rate,
        "seconds_over_expected": elapsed / (groups / rate),
    }


def run(groups: int = 5000, rate: float = 250.0) -> dict:
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        db = storage.open_db(str(Path(tmp) / "fanout.db"))
        for i in range(groups):
            storage.subscribe(db, -1_000_000 - i, "theme_day", now=SUBSCRIBED)
        return asyncio.run(fan_out(api, db, groups, rate))


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
