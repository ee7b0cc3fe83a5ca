"""Issue 17, privacy, integrity and resilience, through the Bot API stand-in the way Telegram delivers them:
/stats stays out of groups, no raw user id in the audit or the error log, forged 👍 and callback data are
quiet no-ops, an update PTB cannot parse is skipped once, and answers opened by number or button are logged
with 👍/👎."""

from __future__ import annotations

import secrets
import sqlite3
import time
from pathlib import Path

import pytest

from fake_bot_api import FakeBotAPI
from handlers.telegram.app import APOLOGY, NOT_TEXT_HINT, STATS_PRIVATE_ONLY
from reliability_support import ADMIN, BotProcess, Chat, copy_content, wait_until

GROUP = -1_004_000_017_001


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial-privacy")
    root = copy_content(tmp / "content")
    with FakeBotAPI() as api:
        bot = BotProcess(api, tmp / "privacy.db", tmp, ZHIBU_CONTENT_ROOT=str(root)).start()
        try:
            yield api, bot, tmp / "privacy.db"
        finally:
            bot.stop()


def rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def press(api, message: dict, data: str, user_id: int) -> dict:
    """A callback_query with any data on a bot message, as a client that forges it would send it."""
    update = {
        "callback_query": {
            "id": str(4_100_000_000_000_000 + secrets.randbelow(10**12)),
            "from": {"id": user_id, "is_bot": False, "first_name": "测试"},
            "message": message,
            "chat_instance": "17",
            "data": data,
        }
    }
    api.push_update(update)
    return update


def answered(api, query_id: str, since: int) -> dict:
    return api.wait_for(
        lambda m, p: m == "answerCallbackQuery" and p.get("callback_query_id") == query_id, since=since, timeout=20
    )


def test_stats_in_a_group_does_not_post_members_questions(env):
    api, bot, db = env
    Chat(api, 8_501).ask("我们支部的秘密问题一七号怎么处理", None)
    group = Chat(api, GROUP, user_id=ADMIN, chat_type="supergroup")
    reply = group.ask(f"/stats@{api.bot_username}", None)
    assert reply["text"] == STATS_PRIVATE_ONLY
    private = Chat(api, ADMIN).ask("/stats", None, timeout=30)  # still available to the admin in private
    assert private["text"] != STATS_PRIVATE_ONLY


def test_refused_admin_actions_store_no_raw_user_id(env):
    api, bot, db = env
    outsider = Chat(api, 990_017)
    outsider.ask("/reload", "管理员")
    api.send_update_of(
        "document", chat_id=outsider.id, user_id=outsider.user_id, content=b"version: 1\n", file_name="x.yaml"
    )
    audit = wait_until(
        lambda: (
            [
                r
                for r in rows(db, "select action, detail, admin_hash from admin_audit")
                if r[0] in ("refused:reload", "refused:upload")
            ]
            or None
        ),
        timeout=20,
        what="audit",
    )
    for action, detail, admin in audit:
        assert "990017" not in (detail or "") and "990017" not in (admin or ""), (action, detail)
        assert detail == "private chat"


def test_the_error_log_names_no_user(env):
    api, bot, db = env
    chat = Chat(api, 990_018)
    since = api.mark()
    api.fail_next("sendMessage", status=400, description="Bad Request: can't parse entities")
    api.send_text(
        "入党要几个介绍人", chat_id=chat.id, user_id=chat.user_id, first_name="王秘密", username="secret_user_17"
    )
    api.wait_for(
        lambda m, p: m == "sendMessage" and p.get("chat_id") in (chat.id, str(chat.id)), since=since, timeout=20
    )
    wait_until(lambda: "error while handling" in bot.stderr(), timeout=20, what="the error logged")
    log = bot.stderr()
    assert "王秘密" not in log and "secret_user_17" not in log and "990018" not in log


def test_feedback_on_a_forged_query_id_is_not_counted(env):
    api, bot, db = env
    chat = Chat(api, 8_502)
    answer = chat.ask("入党要几个介绍人", "介绍人")
    forged = secrets.token_hex(16)  # looks like a query id, but the bot never logged it
    for data in (f"fb:+:{forged}", "fb:+:abc", "fb:x:y"):
        since = api.mark()
        update = press(api, api.result_of(answer), data, chat.user_id)
        answered(api, update["callback_query"]["id"], since)
    real = next(d for _, d in api.buttons(answer) if d and d.startswith("fb:+:"))
    since = api.mark()
    api.click(answer, real, user_id=chat.user_id)
    real_id = real.split(":")[2]
    wait_until(
        lambda: rows(db, "select count(*) from feedback where query_id = ?", real_id)[0][0] == 1,
        timeout=20,
        what="the real vote",
    )
    assert rows(db, "select count(*) from feedback where query_id in (?, 'abc', 'y')", forged)[0][0] == 0


@pytest.mark.parametrize("data", ["c:abc", "st:1e3", "c:999:0", "c:1:x", "st:٣", "st:-1", "c:1:99999999"])
def test_forged_callback_data_is_a_quiet_no_op(env, data):
    api, bot, db = env
    chat = Chat(api, 8_503)
    target = api.result_of(chat.ask("/topics", "类别"))
    errors_before = bot.stderr().count("error while handling")
    since = api.mark()
    update = press(api, target, data, chat.user_id)
    answer = answered(api, update["callback_query"]["id"], since)
    assert not answer.get("text")
    time.sleep(0.5)
    assert not [c for c in api.call_log[since:] if c.method == "sendMessage" and APOLOGY in str(c.params)]
    assert bot.stderr().count("error while handling") == errors_before


def test_an_update_ptb_cannot_parse_is_skipped_once_and_polling_goes_on(env):
    api, bot, db = env
    sender, asker = Chat(api, 8_504), Chat(api, 8_505)
    poll = {
        "id": "5017",
        "question": "周五开会？",
        "options": [{"text": "是", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }  # no persistent_id: an older Bot API server's poll
    api.push_update(
        {
            "message": {
                "message_id": 170017,
                "date": int(time.time()),
                "poll": poll,
                "chat": {"id": sender.id, "type": "private", "first_name": "投票人"},
                "from": {"id": sender.user_id, "is_bot": False, "first_name": "投票人"},
            }
        }
    )
    assert "介绍人" in asker.ask("入党要几个介绍人", "介绍人", timeout=20)["text"]
    time.sleep(1.0)
    log = bot.stderr()
    assert log.count("python-telegram-bot cannot read") == 1
    assert "Error while parsing updates" not in log and "周五开会" not in log


def test_arrows_on_a_message_the_bot_cannot_edit_send_the_page_anew(env):
    api, bot, db = env
    chat = Chat(api, 8_506)
    steps = chat.ask("/steps", "入党流程")
    next_button = next(d for _, d in api.buttons(steps) if d and d.startswith("st:"))
    api.fail_next("editMessageText", status=400, description="Bad Request: message can't be edited")
    since = api.mark()
    api.click(steps, next_button, user_id=chat.user_id)
    page = chat.expect("入党流程", since)
    assert "第2/" in page["text"] and APOLOGY not in page["text"]


@pytest.mark.parametrize(
    "kind, payload",
    [
        ("video_note", {"file_id": "VN17", "file_unique_id": "vn17", "length": 240, "duration": 3}),
        ("dice", {"emoji": "🎲", "value": 4}),
    ],
)
def test_video_notes_and_dice_get_the_hint(env, kind, payload):
    api, bot, db = env
    chat = Chat(api, 8_507)
    since = api.mark()
    api.push_update(
        {
            "message": {
                "message_id": 170100 + len(kind),
                "date": int(time.time()),
                kind: payload,
                "chat": {"id": chat.id, "type": "private", "first_name": "成员"},
                "from": {"id": chat.user_id, "is_bot": False, "first_name": "成员"},
            }
        }
    )
    assert chat.expect(None, since)["text"] == NOT_TEXT_HINT


def opened(db: Path, entry_id: str) -> int:
    return rows(db, "select count(*) from queries where entry_id = ?", entry_id)[0][0]


def test_answers_opened_by_number_or_button_are_logged_with_feedback(env):
    api, bot, db = env
    chat = Chat(api, 8_508)
    first = chat.ask("入党要几个介绍人", "介绍人")
    related = next(d for _, d in api.buttons(first) if d and d.startswith("e:"))
    entry_id = related[2:]
    before = opened(db, entry_id)

    by_number = chat.ask("1", "来源")  # the first related entry, by its number
    assert any(d and d.startswith("fb:+:") for _, d in api.buttons(by_number))
    wait_until(lambda: opened(db, entry_id) == before + 1, timeout=20, what="the number logged")

    since = api.mark()
    api.click(first, related, user_id=chat.user_id)  # the same entry, by its button
    by_button = chat.expect("来源", since)
    assert any(d and d.startswith("fb:+:") for _, d in api.buttons(by_button))
    wait_until(lambda: opened(db, entry_id) == before + 2, timeout=20, what="the button logged")
