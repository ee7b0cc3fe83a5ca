"""Issue 16's table: each message as a new user typed it, and what the bot must answer (through the core)."""

import pytest

from handlers.core.pipeline import Inbound

# (message, the headline rule, its outcome, texts the reply must contain, texts it must not contain)
TABLE = [
    ("党员每月工资8千，交多少党费", "dues.in_service_5000_10000", "info", ["每月党费120元", "8000"], ["0.04"]),
    ("税后工资正好5000块，党费多少", "dues.in_service_3000_5000", "info", ["每月党费50元"], []),
    (
        "我们支部应到23人，实到20人，张三得了10票，能当选吗",
        "election.not_elected",
        "fail",
        ["不能当选", "至少11票"],
        ["发展党员工作细则"],
    ),
    (
        "单位有150名党员应该建什么组织",
        "branch_formation.party_committee",
        "info",
        ["基层委员会", "经上级党组织批准"],
        [],
    ),
    (
        "我们是机关党委，2022年6月换届的，现在要换届吗",
        "election.next_term_committee",
        "info",
        ["2027年6月1日", "5年"],
        ["2025年6月1日届满"],
    ),
    (
        "我们有4个正式党员3个预备党员，能设支委会吗",
        "branch_formation.no_committee_yet",
        "fail",
        ["暂不能设支部委员会", "不足7名", "还差3名"],
        [],
    ),
    # the headline answers the question asked (a 支委会), not "可以成立党支部"
    ("我们单位有5名正式党员，可以设支委会吗", "branch_formation.no_committee_yet", "fail", ["还差2名"], []),
]


def _first_line_after_echo(text: str) -> str:
    return next(line for line in text.splitlines()[1:] if not line.startswith(" "))


@pytest.mark.parametrize("message, rule, outcome, says, never", TABLE, ids=[row[0] for row in TABLE])
def test_issue_table_row(assistant, message, rule, outcome, says, never):
    reply = assistant.respond(Inbound(message))
    assert reply.kind == "situation", reply.text
    assert (reply.verdicts[0]["rule_id"], reply.verdicts[0]["outcome"]) == (rule, outcome), reply.text
    headline = _first_line_after_echo(reply.text)
    assert reply.verdicts[0]["message"] in headline
    for text in says:
        assert text in reply.text, reply.text
    for text in never:
        assert text not in reply.text, reply.text


def test_other_findings_follow_the_answer(assistant):
    reply = assistant.respond(Inbound("我们有4个正式党员3个预备党员，能设支委会吗"))
    lines = reply.text.splitlines()
    assert lines.index("其他情况：") > 1
    assert [v["rule_id"] for v in reply.verdicts] == [
        "branch_formation.no_committee_yet",
        "branch_formation.branch_secretary_only",
    ]


@pytest.mark.parametrize("message", ["个人所得税月收入8000交多少", "月收入8000元个税交多少", "工资8000要交多少个税"])
def test_income_tax_is_not_party_dues(assistant, message):
    reply = assistant.respond(Inbound(message))
    assert reply.kind != "situation" and not reply.verdicts, reply.text
    assert "党费" not in reply.text.split("\n")[0] or reply.kind == "decline"


@pytest.mark.parametrize(
    "message, retired",
    [
        ("我每月工资6000，党费交多少", False),
        ("退休金6000元，党费交多少", True),
        ("我的养老金每月3000，交多少党费", True),
    ],
)
def test_implied_facts_are_not_asked(assistant, message, retired):
    reply = assistant.respond(Inbound(message))
    assert reply.kind == "situation", reply.text
    assert reply.verdicts[0]["facts"]["retired"] is retired
    assert "是不是离退休" not in reply.text


@pytest.mark.parametrize("message", ["成立支部需要几名正式党员", "支委会一般每月开几次", "党委任期几年"])
def test_rule_questions_are_not_situations(assistant, message):
    assert assistant.respond(Inbound(message)).kind != "situation"


@pytest.mark.parametrize(
    "message, problem",
    [
        ("应到20人，实到25人，能表决吗", "实到会人数（25）多于应到会人数（20）"),
        ("党员每月工资8千万，交多少党费", "超出合理范围"),
        ("我2030年3月1日被支部大会通过为预备党员，什么时候转正", "晚于今天"),
    ],
)
def test_absurd_or_contradictory_facts_get_no_verdict(assistant, message, problem):
    reply = assistant.respond(Inbound(message))
    assert reply.kind == "invalid" and not reply.verdicts, reply.text
    assert problem in reply.text


def test_a_term_question_without_the_level_asks_for_it_and_then_answers(assistant):
    """A known fact that rules a policy out (机关, not 村) no longer hides the question that matters."""
    reply = assistant.respond(Inbound("我们机关2022年6月换届的，现在要换届吗"))
    assert reply.kind == "ask" and "基层党委" in reply.text, reply.text
    assert reply.pending.asked == ("org_level",)
    answer = assistant.respond(Inbound("党委"), reply.pending)
    assert answer.verdicts[0]["rule_id"] == "election.next_term_committee", answer.text
    assert "2027年6月1日" in answer.text
    answer = assistant.respond(Inbound("是党支部"), reply.pending)
    assert answer.verdicts[0]["rule_id"] == "election.term_expired_other", answer.text
