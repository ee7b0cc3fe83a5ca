"""Why, the smallest flip, and the arithmetic: literal Chinese texts for real policies and hand-built ones."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

from rules import Engine, load_policies
from rules.compute import add_months, apply, coerce_facts, months_between
from rules.explain import describe, render
from rules.policy import Expr, Ref

RULES = Path(__file__).resolve().parent.parent / "rules"
TODAY = dt.date(2025, 6, 1)
POLICIES, _ = load_policies(RULES, run_cases=False)


@pytest.fixture(scope="module")
def engine():
    e = Engine(POLICIES, version="explain")
    yield e
    e.close()


def verdict(engine, topic, facts, rule_id, today=TODAY):
    found = [v for v in engine.evaluate(topic, facts, today) if v.rule_id == rule_id]
    assert found, f"{rule_id} did not fire"
    return found[0]


# (topic, facts, rule id, today, reasons, arithmetic, flip)
EXPLAINED = [
    (
        "branch_formation",
        {"full_members": 2},
        "branch_formation.too_few_full_members",
        TODAY,
        ("正式党员 2 名 < 3 名",),
        (),
        "再有1名正式党员即可单独成立党支部；现在可按地域相邻、行业相近、规模适当、便于管理的原则成立联合党支部。",
    ),
    (
        "election",
        {"seats": 5, "candidates": 4},
        "election.too_few_candidates",
        TODAY,
        ("候选人 4 名 < 候选人至少需 6 名",),
        ("5 × 1.2 = 6，进一法取 6",),
        "再增加2名候选人（至少6名）即可实行差额选举。",
    ),
    (
        "election",
        {"seats": 7, "candidates": 8},
        "election.too_few_candidates",
        TODAY,
        ("候选人 8 名 < 候选人至少需 9 名",),
        ("7 × 1.2 = 8.4，进一法取 9",),
        "再增加1名候选人（至少9名）即可实行差额选举。",
    ),
    (
        "election",
        {"expected_voters": 23, "present_voters": 18},
        "election.quorum_not_met",
        TODAY,
        ("实到会有表决权（选举权）的正式党员 18 人 < 选举至少需到会 19 人",),
        ("23 × 0.8 = 18.4，超过 18.4 即至少 19",),
        "再有1名有选举权的正式党员到会（至少19人）即可进行选举。",
    ),
    (
        "election",
        {"present_voters": 30, "yes_votes": 15},
        "election.not_elected",
        TODAY,
        ("赞成票 15 票 < 当选至少需赞成 16 票",),
        ("30 ÷ 2 = 15，超过半数至少 16",),
        "再多1票赞成（至少16票）即可当选。",
    ),
    (
        "branch_vote",
        {"expected_voters": 20, "yes_votes": 7},
        "branch_vote.majority_not_reached",
        TODAY,
        ("赞成票 7 票 < 通过至少需赞成 11 票",),
        ("20 ÷ 2 = 10，超过半数至少 11",),
        "再有4票赞成（至少11票）即可通过。",
    ),
    (
        "activist",
        {"activist_since": dt.date(2024, 9, 1)},
        "activist.since_too_recent",
        TODAY,
        ("满1年的日期 2025年9月1日 > 今天 2025年6月1日",),
        ("2024年9月1日 + 1年 = 2025年9月1日",),
        "到2025年9月1日（再过92天）培养考察满1年，届时基本具备党员条件的，可以按程序研究列为发展对象。",
    ),
    (
        "activist",
        {"training_months": 8},
        "activist.training_too_short",
        TODAY,
        ("培养考察时间 8 个月 < 12 个月",),
        (),
        "再培养考察4个月（满1年）后，基本具备党员条件的，可以按程序研究列为发展对象。",
    ),
    (
        "application",
        {"age": 16},
        "application.age_under_18",
        TODAY,
        ("年龄 16 岁 < 18 岁",),
        (),
        "再过2年（年满18周岁）即可递交入党申请书；现在可以先加强学习，向党组织靠拢。",
    ),
    (
        "probation",
        {"extended_months": 15},
        "probation.extension_too_long",
        TODAY,
        ("延长预备期 15 个月 > 12 个月",),
        (),
        "延长期限改为不超过12个月（缩短3个月）即可。",
    ),
    (
        "probation",
        {"probation_start": dt.date(2025, 3, 1)},
        "probation.end_date",
        TODAY,
        ("预备期满日期 2026年3月1日 ≥ 今天 2025年6月1日",),
        ("2025年3月1日 + 1年 = 2026年3月1日",),
        None,
    ),
    (
        "probation",
        {"probation_start": dt.date(2024, 2, 29), "extended_months": 6},
        "probation.extended_end",
        dt.date(2025, 3, 10),
        ("延长预备期 6 个月，在 6 个月 至 12 个月 之间",),
        ("2024年2月29日 + 1年 = 2025年2月28日", "2025年2月28日 + 6个月 = 2025年8月28日"),
        None,
    ),
    (
        "dues",
        {"monthly_income": 4500, "retired": False},
        "dues.in_service_3000_5000",
        TODAY,
        ("离退休党员：否", "税后月收入（或离退休费） 4500 元 > 3000 元，且 ≤ 5000 元"),
        ("4500 × 1% = 45",),
        None,
    ),
    (
        "dues",
        {"monthly_income": 7777.77, "retired": False},
        "dues.in_service_5000_10000",
        TODAY,
        ("离退休党员：否", "税后月收入（或离退休费） 7777.77 元 > 5000 元，且 ≤ 10000 元"),
        ("7777.77 × 1.5% = 116.67",),
        None,
    ),
    (
        "org_life",
        {"last_member_assembly": dt.date(2024, 12, 10)},
        "org_life.member_assembly_overdue",
        TODAY,
        ("上次党员大会 2024年12月10日 < 上一季度第一天 2025年1月1日",),
        (
            "2025年6月1日所在季度（按日历季度）的第一天：2025年4月1日",
            "2025年6月1日所在季度（按日历季度）的最后一天：2025年6月30日",
            "2025年4月1日 − 3个月 = 2025年1月1日",
        ),
        None,
    ),
    (
        "election",
        {"org_type": "社区", "term_start": dt.date(2022, 1, 15)},
        "election.next_term_village",
        TODAY,
        ("单位类型：社区", "任期届满日期 2027年1月15日 ≥ 今天 2025年6月1日"),
        ("2022年1月15日 + 5年 = 2027年1月15日",),
        None,
    ),
    (
        "membership_status",
        {"months_away": 8, "away_fixed_place": True},
        "membership.away_transfer",
        TODAY,
        ("外出学习工作生活 8 个月 ≥ 6 个月", "外出地点相对固定：是"),
        (),
        None,
    ),
    (
        "required_visit",
        {"visit_event": "住院", "person_kind": "群众"},
        "required_visit.masses_hospitalized",
        TODAY,
        ("对象：群众", "发生的情况：住院"),
        (),
        None,
    ),
]


@pytest.mark.parametrize(
    "topic,facts,rule_id,today,reasons,arithmetic,flip", EXPLAINED, ids=[f"{e[2]}-{i}" for i, e in enumerate(EXPLAINED)]
)
def test_explanations(engine, topic, facts, rule_id, today, reasons, arithmetic, flip):
    v = verdict(engine, topic, facts, rule_id, today)
    assert v.reasons == reasons
    assert v.arithmetic == arithmetic
    assert v.flip == flip


def test_messages_render_the_computed_figures(engine):
    v = verdict(engine, "probation", {"probation_start": dt.date(2025, 3, 1)}, "probation.end_date")
    assert (
        v.message
        == "预备期到2026年3月1日满（从支部大会通过之日起算1年）。期满后党支部应及时讨论其能否转正；上级党委应在3个月内审批转正决议。"
    )
    v = verdict(engine, "application", {"application_date": dt.date(2025, 5, 20)}, "application.talk_deadline")
    assert v.message == "党组织应在2025年6月20日前派人同申请人谈话（收到申请书后1个月内），还剩19天。"
    assert v.computed == {"talk_deadline": dt.date(2025, 6, 20), "days_left": 19}
    v = verdict(engine, "dues", {"monthly_income": 12000, "retired": False}, "dues.in_service_over_10000")
    assert v.message == "每月党费240元：税后月收入12000元，在10000元以上，按2%交纳。"
    assert v.facts == {"monthly_income": 12000.0, "retired": False}


def test_election_quorum_states_its_unsettled_source_in_a_note(engine):
    v = verdict(engine, "election", {"expected_voters": 10, "present_voters": 8}, "election.quorum_not_met")
    assert v.verified is False
    assert "核实" not in v.message and "1990年暂行条例" in v.note
    assert "暂行条例》（1990年，已被新版取代）" in v.source


# ---------------------------------------------------------------- the arithmetic text of each operator

ENV = {"d": dt.date(2025, 1, 31), "n": 21, "x": 4567.8, "today": TODAY}


@pytest.mark.parametrize(
    "expr,text",
    [
        (Expr("add_months", (Ref("d"), 1)), "2025年1月31日 + 1个月 = 2025年2月28日"),
        (Expr("add_days", (Ref("d"), 30)), "2025年1月31日 + 30天 = 2025年3月2日"),
        (Expr("add_years", (Ref("d"), 5)), "2025年1月31日 + 5年 = 2030年1月31日"),
        (Expr("months_between", (Ref("d"), Ref("today"))), "从2025年1月31日到2025年6月1日：4 个月"),
        (Expr("days_between", (Ref("d"), Ref("today"))), "从2025年1月31日到2025年6月1日：121 天"),
        (Expr("half_plus_one", (Ref("n"),)), "21 ÷ 2 = 10.5，超过半数至少 11"),
        (Expr("more_than", (Expr("mul", (Ref("n"), 0.8)),)), "21 × 0.8 = 16.8，超过 16.8 即至少 17"),
        (Expr("more_than", (16,)), "超过 16 即至少 17"),
        (Expr("ceil", (Expr("mul", (5, 1.2)),)), "5 × 1.2 = 6，进一法取 6"),
        (Expr("floor", (Expr("div", (Ref("n"), 2)),)), "21 ÷ 2 = 10.5，去尾法取 10"),
        (Expr("sub", (3, Ref("n"))), "3 − 21 = -18"),
        (Expr("mul", (Expr("add", (Ref("n"), 1)), 2)), "(21 + 1) × 2 = 44"),
        (Expr("percent", (Ref("x"), 0.5)), "4567.8 × 0.5% = 22.84"),
        (Expr("min", (Ref("n"), 50)), "21 与 50 取较小值 = 21"),
        (
            Expr("add_years", (Expr("add_months", (Ref("d"), 1)), 1)),
            "2025年1月31日 + 1个月 = 2025年2月28日；2025年2月28日 + 1年 = 2026年2月28日",
        ),
    ],
)
def test_describe(expr, text):
    assert describe(expr, ENV) == text


def test_render_formats_dates_and_numbers():
    env = {"a": dt.date(2026, 3, 1), "b": Fraction(135, 2), "c": 6.0, "d": True}
    assert render("到{a}，{b}元，{c}名，{d}，{missing}", env) == "到2026年3月1日，67.5元，6名，是，{missing}"


# ---------------------------------------------------------------- exact arithmetic and dates


@pytest.mark.parametrize(
    "op,args,expected",
    [
        ("ceil", [Fraction(6)], Fraction(6)),
        ("mul", [Fraction(5), Fraction("1.2")], Fraction(6)),  # float 5 * 1.2 would be 6.000000000000001
        ("half_plus_one", [Fraction(20)], Fraction(11)),
        ("half_plus_one", [Fraction(21)], Fraction(11)),
        ("more_than", [Fraction(16)], Fraction(17)),
        ("percent", [Fraction("3333.33"), Fraction(1)], Fraction("33.33")),
        ("percent", [Fraction("2345.67"), Fraction("0.5")], Fraction("11.73")),
        ("add_years", [dt.date(2024, 2, 29), Fraction(1)], dt.date(2025, 2, 28)),
    ],
)
def test_apply(op, args, expected):
    assert apply(op, args) == expected


@pytest.mark.parametrize(
    "a,b,months",
    [
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28), 1),  # consistent with add_months clamping
        (dt.date(2025, 1, 30), dt.date(2025, 2, 27), 0),
        (dt.date(2025, 1, 31), dt.date(2025, 3, 31), 2),
        (dt.date(2025, 3, 1), dt.date(2026, 3, 1), 12),
        (dt.date(2025, 3, 2), dt.date(2025, 3, 1), -0),
        (dt.date(2025, 6, 1), dt.date(2025, 1, 1), -5),
    ],
)
def test_months_between(a, b, months):
    assert months_between(a, b) == months


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ({"full_members": "10"}, {"full_members": 10}),
        ({"full_members": 3.0}, {"full_members": 3}),
        ({"monthly_income": "4,500"}, {"monthly_income": 4500.0}),
        ({"retired": "是"}, {"retired": True}),
        ({"retired": "false"}, {"retired": False}),
        ({"probation_start": "2025年3月1日"}, {"probation_start": dt.date(2025, 3, 1)}),
        ({"probation_start": "2025-3-1"}, {"probation_start": dt.date(2025, 3, 1)}),
        ({"probation_start": dt.datetime(2025, 3, 1, 9, 30)}, {"probation_start": dt.date(2025, 3, 1)}),
        ({"full_members": None, "age": 20}, {"age": 20}),
    ],
)
def test_coerce_facts(raw, expected):
    assert coerce_facts("branch_formation", raw, TODAY) == expected


# ---------------------------------------------------------------- generic flips on hand-built policies


def _policy(*conds, compute=()):
    from rules.policy import Policy

    return Policy(
        id="t.x",
        topic="branch_formation",
        needs=(("full_members", "?"),),
        when=tuple(conds),
        priority=1,
        outcome="fail",
        message="m",
        source="s",
        verified=True,
        compute=compute,
    )


@pytest.mark.parametrize(
    "cond,env,expected",
    [
        (("full_members", "lt", 3), {"full_members": 0}, {"flip_by": 3, "flip_to": 3}),
        (("full_members", "lte", 2), {"full_members": 1}, {"flip_by": 2, "flip_to": 3}),
        (("full_members", "gt", 50), {"full_members": 64}, {"flip_by": 14, "flip_to": 50}),
        (("full_members", "gte", 7), {"full_members": 9}, {"flip_by": 3, "flip_to": 6}),
        (("full_members", "between", (3, 6)), {"full_members": 5}, {"flip_by": 2, "flip_to": 7}),
        (("training_days", "lt", 3), {"training_days": 2.5}, {"flip_by": 0.5, "flip_to": 3}),
        (
            ("term_start", "gt", Ref("today")),
            {"term_start": dt.date(2025, 6, 11)},
            {"flip_by": 10, "flip_to": dt.date(2025, 6, 11)},
        ),
        (("term_start", "lt", Ref("today")), {"term_start": dt.date(2025, 5, 1)}, {}),  # a past date cannot move
        (("org_type", "eq", "村"), {"org_type": "村"}, {}),  # nothing numeric to move
    ],
)
def test_flip_values(cond, env, expected):
    from rules.explain import flip_values
    from rules.policy import Condition

    policy = _policy(Condition(*cond))
    assert flip_values(policy, dict(env, today=TODAY), TODAY) == expected
