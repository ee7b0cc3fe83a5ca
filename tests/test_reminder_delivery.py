"""Reminder delivery with a controllable clock and a scripted bot: exactly once across restarts, catch-up,
and the Telegram errors (Forbidden, ChatMigrated, RetryAfter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from telegram.error import ChatMigrated, Forbidden, RetryAfter

import storage
from handlers.core.pipeline import Assistant
from common.settings import Settings
from handlers.telegram.reminders import ReminderService

GROUP = -100123
# theme_day: monthly on the 1st at 09:00 Asia/Shanghai, next workday on holidays.
SUBSCRIBED = datetime(2026, 10, 20, 0, 0, tzinfo=timezone.utc)
DUE = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # 2026-11-01 is a Sunday -> Monday 2 Nov 09:00 CST


@dataclass
class Sent:
    message_id: int


class ScriptedBot:
    """send_message records calls and raises the scripted errors first."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id, text):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((chat_id, text))
        return Sent(len(self.sent))


@pytest.fixture
def db(tmp_path):
    database = storage.open_db(str(tmp_path / "r.db"))
    storage.subscribe(database, GROUP, "theme_day", now=SUBSCRIBED)
    return database


def service(db, content, now, grace_hours=12):
    clock = lambda: now  # noqa: E731
    return ReminderService(db, Assistant(content), Settings(), timedelta(hours=grace_hours), clock=clock)


async def test_due_occurrence_is_sent_once_even_across_restarts(db, content):
    bot = ScriptedBot()
    after_due = DUE + timedelta(hours=1)
    assert await service(db, content, after_due).tick(bot) == 1  # start-up catch-up within grace
    assert await service(db, content, after_due).tick(bot) == 0  # a restart: nothing again
    first = service(db, content, after_due + timedelta(minutes=5))
    await first.tick(bot)
    assert await first.tick(bot) == 0  # a second tick: nothing again
    assert len(bot.sent) == 1 and bot.sent[0][0] == GROUP
    assert bot.sent[0][1].startswith("【补发】【主题党日提醒】2026年11月")


async def test_on_time_send_has_no_catch_up_prefix(db, content):
    bot = ScriptedBot()
    svc = service(db, content, DUE - timedelta(minutes=1))
    await svc.tick(bot)
    svc.clock = lambda: DUE + timedelta(seconds=30)
    assert await svc.tick(bot) == 1
    assert bot.sent[0][1].startswith("【主题党日提醒】")


async def test_beyond_the_grace_window_it_is_recorded_as_missed(db, content):
    bot = ScriptedBot()
    assert await service(db, content, DUE + timedelta(hours=13)).tick(bot) == 0
    history = storage.sent_history(db, GROUP, "theme_day")
    assert bot.sent == [] and [r.status for r in history] == ["missed"]


async def test_forbidden_disables_the_chat(db, content):
    bot = ScriptedBot(Forbidden("bot was kicked from the group chat"))
    await service(db, content, DUE + timedelta(minutes=1)).tick(bot)
    assert storage.chat_settings(db, GROUP).disabled_reason.startswith("forbidden")
    assert await service(db, content, DUE + timedelta(days=31)).tick(ScriptedBot()) == 0


async def test_chat_migrated_moves_subscriptions_and_retries(db, content):
    bot = ScriptedBot(ChatMigrated(-100999))
    assert await service(db, content, DUE + timedelta(minutes=1)).tick(bot) == 1
    assert bot.sent[0][0] == -100999
    assert [s.chat_id for s in storage.subscriptions(db)] == [-100999]


async def test_retry_after_waits_and_delivers(db, content):
    bot = ScriptedBot(RetryAfter(0))
    assert await service(db, content, DUE + timedelta(minutes=1)).tick(bot) == 1


async def test_zhibu_tz_is_the_default_zone_for_groups(db, content):
    from zoneinfo import ZoneInfo

    half_past_midnight_utc = datetime(2026, 11, 2, 0, 30, tzinfo=timezone.utc)  # 09:30 Tokyo, 08:30 Shanghai
    shanghai = ReminderService(
        db, Assistant(content), Settings(), timedelta(hours=12), clock=lambda: half_past_midnight_utc
    )
    assert await shanghai.tick(ScriptedBot()) == 0  # 09:00 Shanghai is not due yet
    tokyo = ReminderService(
        db,
        Assistant(content),
        Settings(tz=ZoneInfo("Asia/Tokyo")),
        timedelta(hours=12),
        clock=lambda: half_past_midnight_utc,
    )
    assert await tokyo.tick(ScriptedBot()) == 1  # 09:00 Tokyo was half an hour ago
