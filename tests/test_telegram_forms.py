"""Guided checks (/check) through Telegram, end to end against the Bot API stand-in: the form answers its own
questions first, keeps going past a knowledge question, is keyed per (chat, user) in groups with its prompt
addressed to the member, and a digit answers the form, not a numbered entry. Also: one process serves every
button (ZHIBU_WORKERS, once a router, is gone)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_bot_api import FakeBotAPI  # noqa: E402
from test_telegram_e2e import Chat, buttons, start_bot, stop_bot  # noqa: E402


@pytest.fixture(scope="module")
def api():
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture(scope="module")
def bot(api, tmp_path_factory):
    # ZHIBU_WORKERS=2 was the multi-process deployment that lost /remind button presses (bug 1 of issue 13);
    # the bot must serve every update itself whatever the environment still says.
    proc = start_bot(api, tmp_path_factory.mktemp("forms") / "forms.db", ZHIBU_WORKERS="2")
    yield proc
    stop_bot(proc)


def open_check(api, chat, topic, user_id=None):
    menu = chat.ask("/check", "请选择要检查的事项")
    since = len(api.call_log)
    api.click(menu, f"ck:{topic}", user_id=user_id or chat.user_id)
    return chat.expect("开始检查", since)


@pytest.mark.parametrize(
    "topic, answers, expected",
    [
        ("candidate", ["2"], "是否都是正式党员"),
        ("branch_vote", ["20", "15"], "到会人数符合要求"),
        ("dues", ["在职", "5000"], "每月党费50元"),  # 在职 already answers 离退休
        ("dues", ["其他"], "税后月工资收入"),
        ("branch_formation", ["😀", "2"], "不能单独成立党支部"),
    ],
)
def test_the_form_reads_numbers_choices_and_yes_no(api, bot, topic, answers, expected):
    chat = Chat(api)
    open_check(api, chat, topic)
    for text in answers[:-1]:
        chat.ask(text)
    assert expected in chat.ask(answers[-1], expected)["text"]


def test_a_knowledge_question_in_passing_keeps_the_form(api, bot):
    chat = Chat(api)
    open_check(api, chat, "branch_formation")
    passing = chat.ask("预备期多长", "检查仍在进行")
    assert "1年" in passing["text"]
    chat.ask("2", "不能单独成立党支部")


def test_a_digit_answers_the_form_not_an_offered_entry(api, bot):
    """Bug 2 of issue 13: after a reply with numbered entries, /check -> a topic -> "1" opened entry #1."""
    chat = Chat(api)
    answer = chat.ask("入党要几个介绍人", "来源")  # a bare 入党 now gets a clarifying reply, not an answer
    assert any(d.startswith("e:") for d in buttons(answer)), "the answer should offer related entries"
    open_check(api, chat, "branch_formation")
    verdict = chat.ask("1", "我理解为")
    assert "正式党员 1 名" in verdict["text"]


def test_in_a_group_each_member_has_their_own_form_addressed_to_them(api, bot):
    starter, other = Chat(api, "supergroup", user_id=8101), None
    other = Chat(api, "supergroup", user_id=8102)
    other.id = starter.id  # the same group, another member
    prompt = open_check(api, starter, "branch_formation", user_id=starter.user_id)
    assert "tg://user?id=8101" in prompt["text"]  # addressed to the member who pressed
    prompt_id = api.result_of(prompt)["message_id"]
    since = len(api.call_log)
    stray = other.say("2", reply_to_bot_message_id=prompt_id)  # another member's reply is theirs alone
    reply = starter.expect(None, since)
    assert reply["reply_parameters"]["message_id"] == stray["message_id"]
    assert "我理解为" not in reply["text"]
    since = len(api.call_log)
    mine = starter.say("2", reply_to_bot_message_id=prompt_id)
    verdict = starter.expect("不能单独成立党支部", since)
    assert verdict["reply_parameters"]["message_id"] == mine["message_id"]


def test_a_private_remind_button_is_served(api, bot):
    """Bug 1 of issue 13: with ZHIBU_WORKERS=2 a private user routed to a worker pressed a /remind button
    and nothing happened (the worker had no reminder service). Odd user ids went to the worker."""
    chat = Chat(api, user_id=90001)
    chat.id = chat.user_id
    listing = chat.ask("/remind", "本群提醒")
    toggle = next(d for d in buttons(listing) if d.startswith("rm:on:"))
    since = len(api.call_log)
    api.click(listing, toggle, user_id=chat.user_id)
    edited = api.wait_for(lambda m, p: m == "editMessageText" and "已订阅" in p.get("text", ""), since=since)
    assert toggle.replace("rm:on:", "rm:off:") in buttons(edited)
