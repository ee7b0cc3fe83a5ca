"""The conversation core (handlers/core/conversation.py): one State per (chat, user), the same rules for every
channel. A pending check reads each message first; a knowledge question is answered in passing; a number
answers the check, not a numbered suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.cli.console import ConsoleChat
from handlers.content.content import load_content
from handlers.core.conversation import Conversation, State
from handlers.core.pipeline import Assistant, Inbound

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def conversation():
    content, problems = load_content(ROOT)
    assert content is not None, problems
    return Conversation(Assistant(content))


def run_form(conversation, topic, answers):
    reply, state = conversation.start_check(topic)
    assert reply.kind == "ask" and state.pending is not None, reply.text
    replies = []
    for text in answers:
        reply, state = conversation.respond(Inbound(text), state)
        replies.append(reply)
    return replies, state


# (topic, answers, what the last reply says, whether the check is still open)
FORMS = [
    ("candidate", ["2"], "是否都是正式党员", True),  # a bare count answers 几名入党介绍人
    ("candidate", ["2", "是"], "入党介绍人人数和身份符合要求", False),
    ("branch_vote", ["20"], "实到会有表决权", True),  # one question at a time: 20 is 应到
    ("branch_vote", ["20", "15"], "到会人数符合要求", False),
    ("dues", ["在职"], "税后月工资收入", True),  # a choice, then the next question
    ("dues", ["在职", "5000"], "每月党费50元", False),  # 在职 already says not retired
    ("dues", ["其他"], "税后月工资收入", True),  # 其他 is a choice too, not a question
    ("dues", ["学生"], "0.2元", False),
    ("branch_formation", ["😀", "2"], "不能单独成立党支部", False),  # an emoji does not end the form
    ("branch_formation", ["谢谢", "5"], "可以成立党支部", False),
]


@pytest.mark.parametrize("topic, answers, expected, still_open", FORMS, ids=lambda v: str(v))
def test_a_check_answers_its_own_questions(conversation, topic, answers, expected, still_open):
    replies, state = run_form(conversation, topic, answers)
    assert expected in replies[-1].text, replies[-1].text
    assert (state.pending is not None) == still_open


def test_an_unreadable_answer_asks_the_same_question_again(conversation):
    replies, state = run_form(conversation, "branch_formation", ["😀"])
    assert replies[0].kind == "ask" and "几名正式党员" in replies[0].text
    assert state.pending is not None and state.pending.topic == "branch_formation"


def test_a_knowledge_question_in_passing_is_answered_and_the_form_goes_on(conversation):
    replies, state = run_form(conversation, "branch_formation", ["预备期多长"])
    assert replies[0].kind == "answer" and "1年" in replies[0].text
    assert "检查仍在进行" in replies[0].text and state.pending is not None
    reply, state = conversation.respond(Inbound("2"), state)
    assert "不能单独成立党支部" in reply.text and state.pending is None


def test_a_number_answers_the_form_not_an_offered_entry(conversation):
    """Bug: after a reply that offered numbered entries, /check -> a topic -> "1" opened entry #1."""
    reply, state = conversation.respond(Inbound("入党"))
    assert state.offered, "the question should offer related entries"
    _, state = conversation.start_check("branch_formation", state)
    reply, state = conversation.respond(Inbound("1"), state)
    assert reply.kind == "situation" and "正式党员 1 名" in reply.text


def test_with_no_check_a_number_opens_the_offered_entry(conversation):
    reply, state = conversation.respond(Inbound("入党"))
    first = state.offered[0]
    reply, state = conversation.respond(Inbound("1"), state)
    assert reply.kind == "answer" and reply.entry_id == first


def test_cancel_forgets_the_check(conversation):
    _, state = conversation.start_check("branch_formation")
    state = conversation.cancel(state)
    assert state == State()
    reply, _ = conversation.respond(Inbound("2"), state)
    assert reply.kind != "situation"


def test_the_console_follows_the_same_rules(conversation):
    out = []
    chat = ConsoleChat(conversation.assistant, out.append)
    chat.handle("入党")
    _, chat.state = conversation.start_check("branch_formation", chat.state)
    chat.handle("1")
    assert "正式党员 1 名" in out[-1]


def test_the_entry_picked_after_a_choice_is_logged_with_the_choice(content, tmp_path):
    """Issue 14 item 3: 「您问的是：A，还是 B？」 and which one the user picked, for the admin's /stats."""
    import storage
    from handlers.core.conversation import Conversation
    from handlers.core.pipeline import Reply, Suggestion
    from tests.conftest import TODAY

    db = storage.open_db(tmp_path / "q.db")
    with storage.QueryLog(db, salt=b"s") as querylog:
        assistant = Assistant(content, querylog=querylog, today=lambda: TODAY)
        a, b = content.kb.entries[0], content.kb.entries[1]
        choice = Reply(
            "choose", "您问的是：", suggestions=(Suggestion(a.id, a.title), Suggestion(b.id, b.title)), fallback=True
        )
        # the choice as the pipeline logs it, then the user's "2"
        qid = assistant._log(content, Inbound("模棱两可的问题"), choice, 1.0)
        conversation = Conversation(assistant)
        state = State(offered=(a.id, b.id), offered_by=qid)
        reply, _ = conversation.respond(Inbound("2"), state)
        assert reply.entry_id == b.id
        assert querylog.flush()
    rows = {r["id"]: r for r in db["queries"].rows}
    assert rows[qid]["kind"] == "choose"
    assert rows[reply.query_id]["picked_from"] == qid and rows[reply.query_id]["entry_id"] == b.id
    figures = storage.stats(db)
    assert figures["choices_shown"] == 1
    assert figures["choice_picks"] == [(f"模棱两可的问题 → {b.id}", 1)]
    assert "用户的选择" in storage.format_stats(figures)
