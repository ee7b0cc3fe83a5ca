"""The durable_rules wrapper: every match fires, sessions are freed, engines coexist, calls are serialized."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from rules import Engine, InvalidFacts, Verdict, load_policies
from rules.compile import compile_condition, compile_policy
from rules.policy import Condition, Ref

RULES = Path(__file__).resolve().parent.parent / "rules"
TODAY = dt.date(2025, 6, 1)
POLICIES, _ = load_policies(RULES, run_cases=False)


@pytest.fixture(scope="module")
def engine():
    e = Engine(POLICIES, version="test")
    yield e
    e.close()


def ids(verdicts: list[Verdict]) -> list[str]:
    return [v.rule_id for v in verdicts]


def test_every_matching_rule_fires_highest_priority_first(engine):
    verdicts = engine.evaluate(
        "weak_org",
        {"committees_disunited": True, "social_unrest": True, "safety_incident": True, "secretary_vacant": False},
        TODAY,
    )
    assert ids(verdicts) == ["weak_org.committees_disunited", "weak_org.social_unrest", "weak_org.safety_incident"]
    verdicts = engine.evaluate("branch_formation", {"full_members": 2, "org_type": "村"}, TODAY)
    assert ids(verdicts) == ["branch_formation.village_too_few", "branch_formation.too_few_full_members"]
    assert [v.priority for v in verdicts] == [95, 90]  # a village's own rule first


def test_more_yes_votes_than_present_voters_is_rejected_in_every_topic(engine):
    """Issue 13 bug 3: 15 yes votes with 10 present was a verdict (❌ and ✅ together) for branch_vote;
    the one validator now rejects it for every topic that has both facts, as free text always did."""
    for topic in ("branch_vote", "election"):
        with pytest.raises(InvalidFacts) as raised:
            engine.evaluate(topic, {"expected_voters": 20, "present_voters": 10, "yes_votes": 15}, TODAY)
        assert raised.value.problems == ["赞成票（15）多于实到会人数（10），请核对。"]


def test_branch_vote_mixes_fail_and_pass(engine):
    verdicts = engine.evaluate("branch_vote", {"expected_voters": 20, "present_voters": 12, "yes_votes": 10}, TODAY)
    assert [(v.rule_id, v.outcome) for v in verdicts] == [
        ("branch_vote.majority_not_reached", "fail"),
        ("branch_vote.quorum_met", "pass"),
    ]


@pytest.mark.parametrize(
    "topic,facts",
    [
        ("org_life", {"last_member_assembly": None}),  # no date given: nothing to say (on schedule now says when next)
        ("dues", {"member_kind": "在职"}),  # needs the income to say anything
        ("branch_formation", {"probationary_members": 4}),  # no policy uses this fact alone
        ("membership_status", {"months_unpaid": 0}),
    ],
)
def test_no_match_is_no_verdict(engine, topic, facts):
    assert engine.evaluate(topic, facts, TODAY) == []


def test_facts_are_converted_to_their_declared_types(engine):
    # The string "10" would compare as text (and be "less than" 3) if it reached the engine unconverted.
    assert ids(engine.evaluate("branch_formation", {"full_members": "10"}, TODAY)) == [
        "branch_formation.branch_committee"
    ]
    verdicts = engine.evaluate("probation", {"probation_start": "2025-03-01"}, TODAY)
    assert verdicts[0].computed["probation_end"] == dt.date(2026, 3, 1)
    assert ids(engine.evaluate("dues", {"monthly_income": "4500", "retired": "否"}, TODAY)) == [
        "dues.in_service_3000_5000"
    ]


def test_sessions_are_deleted_so_1500_evaluations_do_not_hit_the_session_limit(engine):
    # durable_rules raises MemoryError at the 1,025th live session; each evaluation deletes its own.
    for i in range(1500):
        members = i % 12
        verdicts = engine.evaluate("branch_formation", {"full_members": members}, TODAY)
        expected = (
            ["branch_formation.too_few_full_members"]
            if members < 3
            else ["branch_formation.branch_secretary_only", "branch_formation.no_committee_yet"]
            if members < 7
            else ["branch_formation.branch_committee"]
        )
        assert ids(verdicts) == expected


def test_1500_evaluations_without_any_match(engine):
    # delete_state after an assert that matched nothing segfaults in durable_rules 2.0.28; the `_seen`
    # sentinel rule makes every assert match, so the session can always be deleted.
    for i in range(1500):
        assert engine.evaluate("branch_formation", {"members_total": i % 3}, TODAY) == []  # no policy below 3
    assert engine.unmatched == 0


def test_two_engine_versions_coexist_for_hot_reload():
    changed = [
        dataclasses.replace(p, when=(Condition("full_members", "lt", 5),))
        if p.id == "branch_formation.too_few_full_members"
        else p
        for p in POLICIES.policies
    ]
    old = Engine(POLICIES, version="v1")
    new = Engine(dataclasses.replace(POLICIES, policies=tuple(changed)), version="v2")
    same_name = Engine(POLICIES, version="v1")  # a fresh Host: the same names may be registered again
    try:
        facts = {"full_members": 4}
        assert "branch_formation.too_few_full_members" not in ids(old.evaluate("branch_formation", facts, TODAY))
        assert "branch_formation.too_few_full_members" in ids(new.evaluate("branch_formation", facts, TODAY))
        old.close()
        assert "branch_formation.too_few_full_members" in ids(new.evaluate("branch_formation", facts, TODAY))
        assert "branch_formation.too_few_full_members" not in ids(same_name.evaluate("branch_formation", facts, TODAY))
        with pytest.raises(RuntimeError):
            old.evaluate("branch_formation", facts, TODAY)
    finally:
        for e in (old, new, same_name):
            e.close()


def test_reloads_start_no_timer_threads():
    before = threading.active_count()
    for i in range(20):
        Engine(POLICIES, version=f"reload{i}").close()
    assert threading.active_count() == before


def test_four_threads_evaluating_concurrently_get_their_own_answers(engine):
    cases = [
        ("branch_formation", {"full_members": 2}, "branch_formation.too_few_full_members"),
        ("election", {"seats": 5, "candidates": 5}, "election.too_few_candidates"),
        ("dues", {"monthly_income": 12000, "retired": False}, "dues.in_service_over_10000"),
        ("membership_status", {"months_lost_contact": 7}, "membership.lost_contact"),
    ]
    errors: list[str] = []

    def work(topic, facts, expected):
        for _ in range(300):
            got = ids(engine.evaluate(topic, facts, TODAY))
            if got != [expected]:
                errors.append(f"{topic}: {got}")
                return

    threads = [threading.Thread(target=work, args=case) for case in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize(
    "topic,facts,problem",
    [
        ("branch_formation", {"full_members": -1}, "正式党员不能是负数（-1）"),
        (
            "branch_formation",
            {"full_members": 1_000_000_000},
            "正式党员 1000000000 名超出合理范围（最多 1000000 名），请核对",
        ),
        ("application", {"application_date": "2025-02-30"}, "递交入党申请书日期“2025-02-30”不是有效日期"),
        (
            "application",
            {"application_date": dt.date(2099, 1, 1)},
            "递交入党申请书日期（2099年1月1日）晚于今天（2025年6月1日），请核对",
        ),
        ("branch_vote", {"expected_voters": 20, "present_voters": 25}, "实到会人数（25）多于应到会人数（20），请核对"),
        ("branch_vote", {"expected_voters": 20, "yes_votes": 21}, "赞成票（21）多于应到会人数（20），请核对"),
        ("election", {"present_voters": 10, "yes_votes": 11}, "赞成票（11）多于实到会人数（10），请核对"),
        (
            "branch_formation",
            {"full_members": 40, "probationary_members": 20, "members_total": 50},
            "正式党员加预备党员（60名）不等于党员总数（50名），请核对",
        ),
        ("dues", {"retired": True, "member_kind": "学生"}, "离退休党员与党员类别“学生”矛盾，请核对"),
        ("branch_formation", {"full_members": "三个"}, "正式党员应为数字，收到“三个”"),
        ("branch_formation", {"full_members": 2.5}, "正式党员应为整数（2.5）"),
        ("branch_formation", {"org_type": "乡"}, "单位类型应为村、社区、机关、企业、学校、其他之一，收到“乡”"),
        ("branch_formation", {"members": 3}, "未知的事实名：members"),
        ("nonsense", {"full_members": 3}, "未知的主题“nonsense”"),
    ],
)
def test_absurd_facts_are_rejected_without_a_verdict(engine, topic, facts, problem):
    with pytest.raises(InvalidFacts) as info:
        engine.evaluate(topic, facts, TODAY)
    assert isinstance(info.value, ValueError)
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    "topic,facts,expected",
    [
        ("branch_formation", {}, [("full_members", "请问单位有几名正式党员（不含预备党员）？")]),
        ("branch_vote", {"expected_voters": 20}, [("present_voters", "请问实到会有表决权的正式党员有多少人？")]),
        ("dues", {"monthly_income": 4500}, [("retired", "请问是不是离退休党员？")]),
        ("election", {"seats": 5}, [("candidates", "请问委员候选人有几名？")]),
        ("required_visit", {"visit_event": "住院"}, [("person_kind", "请问对象是党员还是群众？")]),
        ("branch_formation", {"full_members": 2}, []),  # evaluable: nothing to ask
        # 在职 rules out the fixed-amount policies (学生, 下岗失业, 低保), so the rate policies' facts are asked for
        (
            "dues",
            {"member_kind": "在职", "monthly_income": None},
            [
                (
                    "monthly_income",
                    "请问税后月工资收入是多少元（按党费基数口径：企业人员含经常性奖金，不含五险一金）？",
                ),
                ("retired", "请问是不是离退休党员？"),
            ],
        ),
        ("dues", {"member_kind": "学生"}, []),  # a student's dues need nothing more
        (
            "election",
            {"org_type": "机关", "term_start": dt.date(2022, 6, 1)},
            [("org_level", "请问本届是党支部委员会、党总支委员会，还是基层党委？")],
        ),
    ],
)
def test_missing_facts_asks_for_exactly_what_is_missing(engine, topic, facts, expected):
    assert engine.missing_facts(topic, facts) == expected


def test_why_not(engine):
    assert engine.why_not("branch_formation", {"full_members": 5}, "branch_formation.too_few_full_members", TODAY) == (
        "正式党员 5 名 ≥ 3 名",
    )
    assert engine.why_not("branch_vote", {"expected_voters": 20}, "branch_vote.majority_reached", TODAY) == (
        "缺少：赞成票",
    )
    assert engine.why_not(
        "election", {"org_type": "企业", "term_start": dt.date(2024, 1, 1)}, "election.next_term_village", TODAY
    ) == ("单位类型：企业（不属于 村、社区）",)
    assert engine.why_not(
        "election", {"org_type": "村", "term_start": dt.date(2019, 1, 1)}, "election.next_term_village", TODAY
    ) == ("任期届满日期 2024年1月1日 < 今天 2025年6月1日",)


def test_verdict_to_dict_is_json_safe(engine):
    verdict = engine.evaluate("probation", {"probation_start": dt.date(2025, 3, 1)}, TODAY)[0]
    data = verdict.to_dict()
    assert set(data) == {
        "rule_id",
        "outcome",
        "message",
        "source",
        "facts",
        "computed",
        "reasons",
        "arithmetic",
        "flip",
        "next_steps",
        "note",
    }
    assert data["facts"] == {"probation_start": "2025-03-01"}
    assert data["computed"] == {"probation_end": "2026-03-01"}
    json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------- compiled rule shape

P = POLICIES.get("election.next_term_village")


@pytest.mark.parametrize(
    "cond,expected",
    [
        (
            Condition("org_type", "in", ("村", "社区")),
            [{"$or": [{"$eq": {"org_type": "村"}}, {"$eq": {"org_type": "社区"}}]}],
        ),
        (Condition("seats", "between", (3, 5)), [{"$gte": {"seats": 3}}, {"$lte": {"seats": 5}}]),
        (Condition("org_type", "ne", "村"), [{"$neq": {"org_type": "村"}}]),
        (Condition("term_end", "lt", Ref("today")), [{"$lt": {"c0__term_end": {"$m": "today"}}}]),
        (
            Condition("term_start", "gt", dt.date(2020, 1, 1)),
            [{"$gt": {"term_start": dt.date(2020, 1, 1).toordinal()}}],
        ),
        (Condition("seats", "exists", False), [{"$nex": {"seats": 1}}]),
    ],
)
def test_compile_condition(cond, expected):
    assert compile_condition(P, 0, cond) == expected


def test_every_rule_has_a_positive_condition_first():
    for index, policy in enumerate(POLICIES.policies):
        terms = compile_policy(policy, index)["all"][0]["m"]["$and"]
        assert terms[0] == {"$eq": {"topic": policy.topic}}
        assert {"$ex": {policy.need_names[0]: 1}} in terms
        json.dumps(terms)
