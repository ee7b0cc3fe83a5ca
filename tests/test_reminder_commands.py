"""/remind and /term arguments as a Chinese IME types them, with Chinese errors (issue 17), and the
supergroup upgrade that must not send one occurrence twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest
from telegram.error import ChatMigrated

import storage
from handlers.core.pipeline import Assistant
from common.settings import Settings
from handlers.telegram.reminders import ReminderService
from pathlib import Path

from reminders.commands import months_until, reminder_id, send_time, term_args, term_reply
from reminders.load import load_reminders

TERM = load_reminders(Path(__file__).resolve().parent.parent / "knowledge")[0].term


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("08:30", time(8, 30)),
        ("０８：３０", time(8, 30)),
        ("8:30", time(8, 30)),
        ("８点３０", time(8, 30)),
        ("9点", time(9, 0)),
        ("20时15分", time(20, 15)),
    ],
)
def test_send_times(typed, expected):
    assert send_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "8:60", "早上", ""])
def test_bad_send_times_are_explained_in_chinese(typed):
    with pytest.raises(ValueError, match="没能识别时间"):
        send_time(typed)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["2024-03-15"], (date(2024, 3, 15), None, None)),
        (["２０２４－０３－１５", "村"], (date(2024, 3, 15), "村", None)),
        (["2024年3月15日", "社区"], (date(2024, 3, 15), "社区", None)),
        (["2024/3/5"], (date(2024, 3, 5), None, None)),
        (["2022-06-01", "机关", "党委"], (date(2022, 6, 1), "机关", "党委")),
        (["2022-06-01", "党委", "机关"], (date(2022, 6, 1), "机关", "党委")),
        (["2022-06-01", "机关党委"], (date(2022, 6, 1), "机关", "党委")),
        (["2022-06-01", "总支"], (date(2022, 6, 1), None, "总支")),
        (["2022-06-01", "学校", "支部"], (date(2022, 6, 1), "学校", "支部")),
    ],
)
def test_term_args(args, expected):
    assert term_args(args, TERM) == expected


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["2022-06-01", "机关", "党委"],
            "已记录：本党委（机关党委）本届任期自2022年6月1日起，每届5年，将于2027年6月1日届满。届满前6个月、3个月、1个月会提醒换届。",
        ),
        (
            ["2022-06-01", "企业", "总支"],
            "已记录：本总支委员会（企业总支）本届任期自2022年6月1日起，每届3年，将于2025年6月1日届满。"
            "届满前6个月、3个月、1个月会提醒换届。",
        ),
        (
            ["2021-05-10", "村"],
            "已记录：本支部委员会（村支部）本届任期自2021年5月10日起，每届5年，将于2026年5月10日届满。"
            "届满前6个月、3个月、1个月会提醒换届。\n未写组织层级，已按支部计算；如是总支或党委，请带上层级重新设置，"
            "例如 /term 2021-05-10 村 党委。",
        ),
        (
            ["2024-03-15"],
            "已记录：本支部委员会（支部）本届任期自2024年3月15日起，每届3年，将于2027年3月15日届满。"
            "届满前6个月、3个月、1个月会提醒换届。\n未写组织层级，已按支部计算；如是总支或党委，请带上层级重新设置，"
            "例如 /term 2024-03-15 党委。",
        ),
    ],
)
def test_term_reply_states_length_end_and_assumed_level(args, expected):
    assert term_reply(TERM, *term_args(args, TERM)) == expected


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "请给出本届任期开始日期"),
        (["2023-02-30"], "日期“2023-02-30”不存在（2月没有30日）"),
        (["明年"], "没能识别日期“明年”"),
        (["1900-01-01"], "1990年到2100年之间"),
        (["2024-03-15", "公司"], "没有单位类型或组织层级“公司”"),
        (["2024-03-15", "机关工委"], "没有单位类型或组织层级“机关工委”"),
        (["2024-03-15", "支部", "党委"], "组织层级只能写一个，收到了“支部”和“党委”"),
        (["2024-03-15", "村", "机关"], "单位类型只能写一个，收到了“村”和“机关”"),
    ],
)
def test_term_errors_are_chinese(args, message):
    with pytest.raises(ValueError) as error:
        term_args(args, TERM)
    assert message in str(error.value) and "expected" not in str(error.value)


@pytest.mark.parametrize(
    "typed, expected", [("THEME_DAY", "theme_day"), ("ｔｈｅｍｅ_ｄａｙ", "theme_day"), (" Dues ", "dues")]
)
def test_reminder_ids_are_case_insensitive(typed, expected):
    assert reminder_id(typed) == expected


@pytest.mark.parametrize(
    "today, end, months",
    [
        (date(2026, 12, 7), date(2028, 6, 7), 18),
        (date(2026, 12, 8), date(2028, 6, 7), 18),  # a day short still reads as about 18
        (date(2026, 12, 7), date(2027, 6, 7), 6),
        (date(2026, 12, 7), date(2026, 12, 20), 0),
        (date(2026, 12, 7), date(2026, 12, 30), 1),
        (date(2026, 12, 7), date(2025, 1, 1), 0),
    ],
)
def test_months_until(today, end, months):
    assert months_until(today, end) == months


# ---- a supergroup upgrade while both chats are subscribed ------------------------------------------------

OLD, NEW = -100123, -100999
DUE = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # theme_day, Monday 2 Nov 09:00 Beijing


@dataclass
class Sent:
    message_id: int


class MigratedBot:
    """Sends to the old group fail with ChatMigrated, as Telegram answers after an upgrade."""

    def __init__(self):
        self.sent: list[int] = []

    async def send_message(self, chat_id, text):
        if chat_id == OLD:
            raise ChatMigrated(NEW)
        self.sent.append(chat_id)
        return Sent(len(self.sent))


async def test_an_upgraded_group_subscribed_twice_gets_the_occurrence_once(tmp_path, content):
    db = storage.open_db(str(tmp_path / "r.db"))
    subscribed = DUE - timedelta(days=10)
    storage.subscribe(db, OLD, "theme_day", now=subscribed)
    storage.subscribe(db, NEW, "theme_day", now=subscribed)  # its admin subscribed again after the upgrade
    bot = MigratedBot()
    service = ReminderService(
        db, Assistant(content), Settings(), timedelta(hours=12), clock=lambda: DUE + timedelta(minutes=1)
    )
    await service.tick(bot)
    assert bot.sent == [NEW]
    assert [s.chat_id for s in storage.subscriptions(db)] == [NEW]
