"""The pipeline as every channel meets it: odd messages, scripts, small talk, declines, answers."""

import pytest

from handlers.core.pipeline import Inbound


def ask(assistant, text):
    return assistant.respond(Inbound(text))


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😀🎉👍", "？？？", "\x00\x01\x02", "...", "<br>"])
def test_empty_or_contentless_text_gets_a_friendly_prompt(assistant, text):
    reply = ask(assistant, text)
    assert reply.fallback and reply.kind == "empty"
    assert "请输入您的问题" in reply.text or "請輸入您的問題" in reply.text


@pytest.mark.parametrize("text", ["入党" * 5000, "a" * 10_000, "党" + "😀" * 9999, "<b>" * 3000])
def test_huge_messages_get_an_answer_or_a_polite_decline(assistant, text):
    reply = ask(assistant, text)
    assert reply.kind in ("answer", "decline", "clarify", "choose", "empty", "situation", "ask")
    assert reply.text


@pytest.mark.parametrize(
    "text, kind",
    [
        ("你好", "smalltalk"),
        ("您好！", "smalltalk"),
        ("谢谢", "smalltalk"),
        ("你能做什么", "smalltalk"),
        ("帮助", "smalltalk"),
        ("再见", "smalltalk"),
        ("hello", "smalltalk"),
    ],
)
def test_small_talk(assistant, text, kind):
    reply = ask(assistant, text)
    assert reply.kind == kind and not reply.entry_id


def test_what_can_you_do_lists_areas_and_examples(assistant):
    text = ask(assistant, "你能做什么").text
    assert "入党程序" in text and "党费" in text and "例如" in text


def test_answer_cites_its_source_and_entry(assistant):
    reply = ask(assistant, "预备期从哪天开始算")
    assert reply.kind == "answer" and reply.entry_id == "admission.probation_length"
    assert reply.source and reply.text.endswith(reply.source)
    assert "1年" in reply.text


def test_traditional_question_gets_traditional_answer(assistant):
    reply = ask(assistant, "預備期從哪天算")
    assert reply.script == "traditional" and reply.entry_id == "admission.probation_length"
    assert "預備黨員" in reply.text and "预备党员" not in reply.text
    assert "來源" in reply.text


def test_html_and_markdown_characters_are_plain_text(assistant):
    reply = ask(assistant, "<script>alert(1)</script> 入党**年龄**要求_是多少")
    assert reply.entry_id == "admission.applicant_age"
    assert "<script>" not in reply.text


def test_out_of_scope_declines_without_guessing(assistant):
    reply = ask(assistant, "明天北京会下雨吗")
    assert reply.kind == "decline" and reply.fallback and reply.entry_id is None


def test_near_miss_organisation_gets_a_pointer(assistant):
    reply = ask(assistant, "工会会费交多少")
    assert reply.fallback and "工会" in reply.text and reply.suggestions == ()


def test_vague_question_offers_up_to_three_suggestions(assistant):
    reply = ask(assistant, "支部")
    assert reply.kind == "clarify" and reply.entry_id is None
    assert len(reply.suggestions) <= 3


def test_unverified_entries_show_no_caveat_and_no_unchecked_article(assistant):
    # An unverified entry leaves out the article number it could not check; its `note` states what is unsettled.
    unverified = [e for e in assistant.content.kb.entries if not e.verified]
    assert unverified
    for entry in unverified:
        text = assistant.entry_reply(entry.id).text
        assert "待核实" not in text, entry.id
        assert not any(c.article and c.article in entry.source for c in entry.citations), entry.id
        if entry.note:
            assert entry.note in text, entry.id


def test_an_entry_note_is_shown(assistant, content):
    entry = next(e for e in content.kb.entries if e.note and not e.local_practice)
    assert entry.note in assistant.entry_reply(entry.id).text


def test_local_practice_says_local_rules_prevail(assistant):
    reply = assistant.entry_reply("practice.three_must_visits")
    assert "为准" in reply.text


def test_related_entries_are_offered(assistant):
    reply = ask(assistant, "入党要几个介绍人")
    assert reply.entry_id == "admission.sponsors"
    assert reply.related and all(r.entry_id in assistant.content.kb.by_id for r in reply.related)


def test_swap_publishes_a_new_version_atomically(assistant, content):
    old = assistant.swap(content)
    assert old is content and assistant.content is content


# -- the answer memo --------------------------------------------------------------------------------------


def test_a_repeated_question_is_answered_from_the_memo_with_the_same_reply(assistant, monkeypatch):
    calls = []
    original = assistant._answer
    monkeypatch.setattr(assistant, "_answer", lambda *a: calls.append(a[1]) or original(*a))
    first, second = ask(assistant, "入党要几个介绍人"), ask(assistant, "入党要几个介绍人")
    assert calls == ["入党要几个介绍人"]  # the pipeline ran once
    assert (first.entry_id, first.text, first.kind) == (second.entry_id, second.text, second.kind)
    ask(assistant, "入黨要幾個介紹人")  # another text (here: another script) is its own key
    assert len(calls) == 2


def test_the_memo_belongs_to_one_content_version(assistant, content, monkeypatch):
    calls = []
    original = assistant._answer
    monkeypatch.setattr(assistant, "_answer", lambda *a: calls.append(a[0]) or original(*a))
    ask(assistant, "党费怎么交")
    from dataclasses import replace

    newer = replace(content, version="next")
    assistant.swap(newer)
    ask(assistant, "党费怎么交")  # a reload starts an empty memo
    assert calls == [content, newer]


def test_the_memo_is_keyed_by_the_day(content):
    from datetime import date
    from handlers.core.pipeline import Assistant

    today = [date(2026, 3, 1)]
    assistant = Assistant(content, today=lambda: today[0])
    question = "我是2025年3月1日成为预备党员的，什么时候可以转正"
    before = ask(assistant, question)
    today[0] = date(2026, 3, 2)
    after = ask(assistant, question)
    assert before.kind == after.kind == "situation"
    assert before.verdicts != after.verdicts or before.text != after.text  # computed again for the new day


def test_follow_ups_to_a_pending_check_are_never_memoized(assistant, monkeypatch):
    from handlers.core.pipeline import Pending

    pending = Pending("branch_formation", {}, ("full_members",))
    calls = []
    original = assistant._answer
    monkeypatch.setattr(assistant, "_answer", lambda *a: calls.append(a[2]) or original(*a))
    first, second = assistant.respond(Inbound("2"), pending), assistant.respond(Inbound("2"), pending)
    assert calls == [pending, pending]
    assert first.kind == second.kind and first.verdicts == second.verdicts


def test_swap_tells_the_listener_and_survives_its_failure(content, caplog):
    from handlers.core.pipeline import Assistant

    assistant = Assistant(content)
    seen = []
    assistant.on_swap = seen.append
    assert assistant.swap(content) is content and seen == [content]

    def broken(_):
        raise RuntimeError("event loop closed")

    assistant.on_swap = broken
    assert assistant.swap(content) is content and assistant.content is content
    assert "passing the new content on failed" in caplog.text


def test_a_question_far_from_party_work_is_offered_no_unrelated_entries(assistant):
    """A decline offers entries only when they share some of the question's content."""
    reply = ask(assistant, "今天天气怎么样")
    assert reply.kind == "decline" and reply.suggestions == ()
    assert "党徽" not in reply.text


def test_a_verdict_points_at_the_entry_that_answers_the_question(assistant):
    """The related rule under a dues verdict is judged like any answer, not the first-ranked entry."""
    reply = ask(assistant, "党员每月工资8千，交多少党费")
    assert "每月党费120元" in reply.text
    assert reply.entry_id == "dues.rate_table"


@pytest.mark.parametrize(
    "text, entry_id",
    [
        ("退休党员组织关系要转社区吗", "transfer.retiree"),  # 离退休 and 社区 are also the dues form's facts
        ("我们社区能成立党委吗", "org_types.community_committee"),
    ],
)
def test_a_general_question_with_no_figures_is_answered_not_turned_into_a_form(assistant, text, entry_id):
    reply = ask(assistant, text)
    assert reply.kind == "answer" and reply.entry_id == entry_id and reply.pending is None


def test_a_situation_with_figures_is_still_checked(assistant):
    reply = ask(assistant, "我们单位只有2名正式党员，能成立支部吗")
    assert reply.kind == "situation"


@pytest.mark.parametrize(
    "text, entry_id, misread",
    [
        ("有个党员五六个月没交党费了", "dues.six_months_unpaid", "56"),  # five or six months, not 56
        ("支部有两三个正式党员能成立支部吗", "organization.branch_threshold", "23"),  # two or three members, not 23
        ("我们支部有七八个正式党员，要设支委会吗", "organization.committee_threshold", "78"),
    ],
)
def test_an_estimate_is_not_read_as_one_number(assistant, text, entry_id, misread):
    # 五六个月 read digit by digit was 56 months: "viewed as having left the Party"; 两三个 made a branch of 23
    reply = ask(assistant, text)
    assert reply.kind == "answer" and reply.entry_id == entry_id and misread not in reply.text


def test_an_estimate_around_a_threshold_gets_no_verdict(assistant):
    reply = ask(assistant, "我们支部有五十一二个党员，要设总支吗")  # was read as 52 members
    assert reply.kind != "situation" and "52" not in reply.text
