"""Issue 17, reminders in groups, through the Bot API stand-in the way Telegram delivers them: a supergroup
upgrade keeps the subscriptions, an anonymous group admin may use /remind and /term, /term and /remind
answer in Chinese and take what a Chinese IME types, reminder ids are case-insensitive, and 距今约N个月
counts from today, and /term takes the organization level (a 党委 serves 5 years, audit A3)."""

from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest

from fake_bot_api import FakeBotAPI, text_entities
from reliability_support import BotProcess, Chat, copy_content, wait_until
from reminders.schedule import add_months

ADMIN_G = 8_701
OLD_GROUP = -4_017_001  # a basic group …
NEW_GROUP = -1_004_017_000_001  # … upgraded to this supergroup
ANON_GROUP = -1_004_017_000_002
PLAIN_GROUP = -1_004_017_000_003
LEVEL_GROUP = -1_004_017_000_004
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial-groups")
    root = copy_content(tmp / "content")
    with FakeBotAPI() as api:
        for group in (OLD_GROUP, NEW_GROUP, PLAIN_GROUP, LEVEL_GROUP):
            api.chat_members[(group, ADMIN_G)] = "administrator"
        bot = BotProcess(api, tmp / "groups.db", tmp, ZHIBU_CONTENT_ROOT=str(root)).start()
        try:
            yield api, bot, tmp / "groups.db"
        finally:
            bot.stop()


def subscribed(db: Path, reminder_id: str) -> list[int]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return sorted(
            r[0] for r in conn.execute("select chat_id from subscriptions where reminder_id = ?", (reminder_id,))
        )
    finally:
        conn.close()


def service_message(api, chat_id: int, chat_type: str, **fields) -> None:
    api.push_update(
        {
            "message": {
                "message_id": int(time.time() * 1000) % 10**9,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type, "title": "测试支部群"},
                "from": {"id": ADMIN_G, "is_bot": False, "first_name": "管理员"},
                **fields,
            }
        }
    )


def test_a_supergroup_upgrade_keeps_the_subscriptions_without_duplicates(env):
    api, bot, db = env
    old = Chat(api, OLD_GROUP, user_id=ADMIN_G, chat_type="group")
    assert "已订阅" in old.ask(f"/remind@{api.bot_username} on theme_day", "订阅")["text"]
    service_message(api, OLD_GROUP, "group", migrate_to_chat_id=NEW_GROUP)
    service_message(api, NEW_GROUP, "supergroup", migrate_from_chat_id=OLD_GROUP)
    wait_until(lambda: subscribed(db, "theme_day") == [NEW_GROUP], timeout=20, what="the subscription moved")

    new = Chat(api, NEW_GROUP, user_id=ADMIN_G, chat_type="supergroup")
    listing = new.ask(f"/remind@{api.bot_username}", "本群提醒")["text"]
    assert "✅ theme_day" in listing
    new.ask(f"/remind@{api.bot_username} on theme_day", "订阅")  # the admin subscribes again
    assert subscribed(db, "theme_day") == [NEW_GROUP]


def anonymous_admin(api, text: str) -> None:
    chat = {"id": ANON_GROUP, "type": "supergroup", "title": "匿名管理员的群"}
    message = {
        "message_id": int(time.time() * 1000) % 10**9,
        "date": int(time.time()),
        "chat": chat,
        "from": GROUP_ANONYMOUS_BOT,
        "sender_chat": chat,
        "text": text,
    }
    entities = text_entities(text)
    if entities:
        message["entities"] = entities
    api.push_update({"message": message})


@pytest.mark.parametrize(
    "command, expected",
    [
        ("/remind on dues", "已订阅"),
        ("/term 2025-03-15 村", "已记录"),
    ],
)
def test_an_anonymous_group_admin_can_use_remind_and_term(env, command, expected):
    api, bot, db = env
    since = api.mark()
    name, _, rest = command.partition(" ")
    anonymous_admin(api, f"{name}@{api.bot_username} {rest}")
    assert expected in api.wait_sent(chat_id=ANON_GROUP, since=since, timeout=20)["text"]


def term_start_ending_in(months: int) -> str:
    return add_months(date.today(), months - 36).isoformat()  # 机关: 3-year terms


@pytest.mark.parametrize(
    "command, expected, absent",
    [
        ("/term 2023-02-30", "不存在", "expected"),
        ("/term 去年三月", "没能识别日期", "expected"),
        ("/term 2024-03-15 公司", "没有单位类型", "expected"),
        ("/remind on theme_day 25:00", "没能识别时间", "expected"),
        ("/remind tz Mars/Base", "没有时区", "unknown time zone"),
        ("/remind on theme_day ０８：３０", "每次 08:30 发送", "没能识别"),  # full-width digits and colon
        ("/term ２０２４－０３－１５ 村", "已记录", "没能识别"),
        ("/remind on DUES 8点30", "每次 08:30 发送", "没有提醒"),  # ids are case-insensitive
        ("/remind off THEME_DAY", "已退订", "没有提醒"),
    ],
)
def test_remind_and_term_answer_in_chinese_and_read_ime_input(env, command, expected, absent):
    api, bot, db = env
    group = Chat(api, PLAIN_GROUP, user_id=ADMIN_G, chat_type="supergroup")
    name, _, rest = command.partition(" ")
    text = group.ask(f"{name}@{api.bot_username} {rest}", None)["text"]
    assert expected in text and absent not in text, text


def test_the_term_end_test_message_counts_months_from_today(env):
    api, bot, db = env
    group = Chat(api, PLAIN_GROUP, user_id=ADMIN_G, chat_type="supergroup")
    group.ask(f"/term@{api.bot_username} {term_start_ending_in(18)} 机关", "已记录")
    text = group.ask(f"/remind@{api.bot_username} test term_end", "换届")["text"]
    assert "距今约18个月" in text, text


def stored_term(db: Path, chat_id: int) -> tuple:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(
            "select term_start, org_type, org_level from chat_settings where chat_id = ?", (chat_id,)
        ).fetchone()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "args, org_type, level, years, organization",
    [
        ("机关 党委", "机关", "党委", 5, "本党委"),
        ("党委 企业", "企业", "党委", 5, "本党委"),
        ("学校总支", "学校", "总支", 3, "本总支委员会"),
        ("社区 党委", "社区", "党委", 5, "本党委"),
        ("机关", "机关", None, 3, "本支部委员会"),
        ("", None, None, 3, "本支部委员会"),
    ],
)
def test_term_takes_the_organization_level(env, args, org_type, level, years, organization):
    """/term with a level records it; the reply, the stored row, /remind list and the 换届 text all use the
    level's term length and name (a 机关党委 that registered in June 2022 hears of June 2027, not 2025)."""
    api, bot, db = env
    group = Chat(api, LEVEL_GROUP, user_id=ADMIN_G, chat_type="supergroup")
    start = add_months(date.today(), 18 - 12 * years)  # the term ends 18 months from today
    end = add_months(start, 12 * years)
    reply = group.ask(f"/term@{api.bot_username} {start.isoformat()} {args}".rstrip(), "已记录")["text"]
    assert f"{organization}（{org_type or ''}{level or '支部'}）" in reply, reply
    assert f"每届{years}年，将于{end.year}年{end.month}月{end.day}日届满" in reply, reply
    assert ("未写组织层级，已按支部计算；如是总支或党委" in reply) is (level is None), reply
    assert stored_term(db, LEVEL_GROUP) == (start.isoformat(), org_type, level)
    listing = group.ask(f"/remind@{api.bot_username}", "本群提醒")["text"]
    assert f"term_end 委员会换届：已订阅，下次 {add_months(end, -6).isoformat()}" in listing, listing
    text = group.ask(f"/remind@{api.bot_username} test term_end", "换届")["text"]
    assert f"{organization}（每届{years}年）将于{end.year}年{end.month}月{end.day}日任期届满，距今约18个月" in text, (
        text
    )
