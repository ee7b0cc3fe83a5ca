"""Situation sentences end to end: the verdict, its outcome and the key figure, as a secretary types them."""

import pytest

from handlers.core.pipeline import Inbound, Pending

CASES = [
    # (question, a rule that must fire, its outcome, a figure the reply must contain)
    ("我们公司只有2名正式党员，能单独成立支部吗", "branch_formation.too_few_full_members", "fail", "再有1名正式党员"),
    ("我们单位有5名正式党员，能成立支部吗", "branch_formation.branch_secretary_only", "pass", "设书记1名"),
    ("我们支部有8名正式党员，成立支部要设支委会吗", "branch_formation.branch_committee", "pass", "3至5人"),
    ("我们村有120名党员，能成立党委吗", "branch_formation.village_party_committee", "info", "120"),
    ("社区有60名党员，可以成立总支吗", "branch_formation.general_branch", "info", "60"),
    ("应到会有表决权的正式党员20人，赞成10票，通过了吗", "branch_vote.majority_not_reached", "fail", "至少11票"),
    ("应到会有表决权的正式党员20人，实到15人，赞成11票，通过了吗", "branch_vote.majority_reached", "pass", "11票"),
    ("应到会有表决权的正式党员20人，赞成11票，通过了吗", "branch_vote.majority_reached", "pass", "20人"),
    ("应到20人，实到9人，能开会表决吗", "branch_vote.quorum_not_met", "fail", "至少11人"),
    ("我2025年3月1日被支部大会通过为预备党员，什么时候转正", "probation.end_passed", "warn", "2026年3月1日"),
    ("预备期想延长3个月可以吗", "probation.extension_too_short", "fail", "不少于半年"),
    ("延长预备期18个月行不行", "probation.extension_too_long", "fail", "不超过1年"),
    ("有个党员连续7个月没交党费了", "membership.unpaid_6_months", "warn", "自行脱党"),
    ("有个党员3个月没交党费了", "membership.unpaid_catch_up", "warn", "3个月"),
    ("有个党员失联8个月了", "membership.lost_contact", "warn", "停止党籍"),
    ("党员外出打工7个月，地点固定，组织关系要转吗", "membership.away_transfer", "warn", "转移组织关系"),
    ("我今年17岁，能递交入党申请书吗", "application.age_under_18", "fail", "18岁"),
    ("2026年9月1日递交了入党申请书，还没人找我谈话", "application.talk_overdue", "warn", "2026年10月1日"),
    ("2025年12月1日确定为入党积极分子，现在能列为发展对象吗", "activist.since_too_recent", "fail", "2026年12月1日"),
    ("发展对象只有1名介绍人可以吗", "candidate.too_few_sponsors", "fail", "两名正式党员"),
    ("集中培训只参加了2天，能发展吗", "candidate.training_days_short", "fail", "不少于3天"),
    ("发展对象3个月内要调走，还能发展吗", "candidate.leaving_soon", "fail", "三个月内"),
    ("应选5名委员，候选人5人，可以吗", "election.too_few_candidates", "fail", "至少需要6名"),
    ("应选3名委员，有4名候选人，够吗", "election.candidates_ok", "pass", "4名"),
    ("应到会30人，实到25人，选举有效吗", "election.quorum_met", "pass", "4/5"),
    ("我们村支部2021年6月换届，下次什么时候换届", "election.term_expired_village", "warn", "2026年6月1日"),
    ("机关支部2024年5月选举产生，任期到什么时候", "election.next_term_other", "info", "2027年5月1日"),
    ("税后月工资6000元，党费每月交多少", "dues.in_service_5000_10000", "info", "90元"),
    ("退休金4500元，党费交多少", "dues.retired_up_to_5000", "info", "22.5元"),
    ("退休金6000元，党费交多少", "dues.retired_over_5000", "info", "60元"),
    ("学生党员党费交多少", "dues.fixed_0_2", "info", "0.2元"),
    ("上次党员大会是2026年5月开的", "org_life.member_assembly_overdue", "warn", "每季度"),
    ("支委会已经3个月没开了", "org_life.branch_committee_overdue", "warn", "每月"),
    ("一个党员住院了", "required_visit.member_ill", "warn", "三必访"),
    ("群众住院了支部要去看吗", "required_visit.masses_hospitalized", "warn", "必访"),
    ("村里两委不团结，怎么办", "weak_org.committees_disunited", "warn", "后进村"),
    # traditional script: the reply comes back in traditional characters
    ("我們公司只有2名正式黨員，能單獨成立支部嗎", "branch_formation.too_few_full_members", "fail", "再有1名正式黨員"),
    ("我2025年3月1日被支部大會通過為預備黨員，什麼時候轉正", "probation.end_passed", "warn", "2026年3月1日"),
    ("有個黨員連續7個月沒交黨費了", "membership.unpaid_6_months", "warn", "自行脫黨"),
    ("稅後月工資6000元，黨費每月交多少", "dues.in_service_5000_10000", "info", "90元"),
    ("應選5名委員，候選人5人，可以嗎", "election.too_few_candidates", "fail", "至少需要6名"),
    ("應到會有表決權的正式黨員20人，贊成10票，通過了嗎", "branch_vote.majority_not_reached", "fail", "至少11票"),
    ("我今年17歲，能遞交入黨申請書嗎", "application.age_under_18", "fail", "18歲"),
    ("有個黨員失聯8個月了", "membership.lost_contact", "warn", "停止黨籍"),
    ("我們村有120名黨員，能成立黨委嗎", "branch_formation.village_party_committee", "info", "120"),
]


@pytest.mark.parametrize("question, rule_id, outcome, figure", CASES, ids=[c[0] for c in CASES])
def test_situation(assistant, question, rule_id, outcome, figure):
    reply = assistant.respond(Inbound(question))
    fired = {v["rule_id"]: v["outcome"] for v in reply.verdicts}
    assert reply.kind == "situation", reply.text
    assert fired.get(rule_id) == outcome, fired
    assert figure in reply.text
    assert reply.text.startswith(("我理解为", "我理解為"))
    assert all(v["source"] for v in reply.verdicts)


def test_enough_cases_in_both_scripts():
    traditional = [c for c in CASES if any(ch in c[0] for ch in "們黨應個稅歲聯")]
    assert len(CASES) >= 40 and len(traditional) >= 8


def test_missing_facts_are_asked_and_the_dialogue_carries_on(assistant):
    first = assistant.respond(Inbound("税后月收入12000元，党费交多少"))
    assert first.kind == "ask" and first.pending is not None and "离退休" in first.text
    second = assistant.respond(Inbound("不是"), first.pending)
    assert second.kind == "situation"
    assert "240元" in second.text  # 12000 × 2%
    assert "相关规定" not in second.text  # nothing is matched against the bare word 不是


@pytest.mark.parametrize(
    "question, exact, rate",
    [
        ("税后工资5000多，党费多少", "5300", "1.5%"),  # a little more than 5000 is the next band, not 5000's 1%
        ("我工资三千出头，党费交多少", "3200", "1%"),
        ("我工资1万多，党费交多少", "12000", "2%"),
    ],
)
def test_an_approximate_amount_at_a_band_edge_asks_for_the_exact_one(assistant, question, exact, rate):
    first = assistant.respond(Inbound(question))
    assert first.kind == "ask" and "大概数" in first.text and not first.verdicts
    second = assistant.respond(Inbound(exact), first.pending)
    assert second.kind == "situation" and f"按{rate}交纳" in second.text


@pytest.mark.parametrize(
    "question, exact, rule",
    [
        ("公司党员约五十人，能成立总支吗", "48", "branch_formation.general_branch_below_50"),  # 总支 from 50
        ("公司党员约一百人，能成立党委吗", "101", "branch_formation.party_committee"),  # 党委 from 100
        ("有个党员差不多半年没交党费", "5", "membership.unpaid_catch_up"),  # 自行脱党 from 6 months
        ("有个党员6个月左右没交党费", "7", "membership.unpaid_6_months"),
        ("正式党员有2-3名，能成立支部吗", "3", "branch_formation.branch_secretary_only"),  # a range across 3
        ("有个党员连续5到7个月没参加组织生活", "7", "membership.no_org_life_6_months"),  # a range across 6
    ],
)
def test_an_about_figure_at_a_threshold_asks_for_the_exact_one(assistant, question, exact, rule):
    first = assistant.respond(Inbound(question))
    assert first.kind == "ask" and "大概数" in first.text and not first.verdicts
    second = assistant.respond(Inbound(exact), first.pending)
    assert rule in {v["rule_id"] for v in second.verdicts}, second.text


@pytest.mark.parametrize(
    "question, exact, rule",
    [
        ("他2025年11月成为预备党员，预备期满了吗", "2025年11月10日", "probation.end_passed"),  # ends in this month
        ("他2025年11月成为预备党员，预备期满了吗", "2025年11月28日", "probation.end_date"),
        ("他2025年11月成为预备党员，目前满了吗", "2025年11月28日", "probation.end_date"),  # 目前 names no day
        ("我们企业支部2023年11、12月份换届，到期了吗", "2023年12月20日", "election.next_term_other"),  # either month
        ("我们企业支部2023年11-12月换届，到期了吗", "2023年12月20日", "election.next_term_other"),
    ],
)
def test_a_date_given_only_by_month_asks_for_the_day_when_the_day_decides(assistant, question, exact, rule):
    first = assistant.respond(Inbound(question))  # today is 2026-11-23: the 1st and the 30th give other verdicts
    assert first.kind == "ask" and "具体日期" in first.text and not first.verdicts
    second = assistant.respond(Inbound(exact), first.pending)
    assert rule in {v["rule_id"] for v in second.verdicts}, second.text


def test_a_committee_question_gets_no_general_branch_finding(assistant):
    # the 总支 policy answers another question; 可以成立党支部 (a general finding) stays
    reply = assistant.respond(Inbound("8个党员其中一个预备党员，能设支委会吗"))
    fired = [v["rule_id"] for v in reply.verdicts]
    assert fired[0] == "branch_formation.branch_committee" and "branch_formation.general_branch_below_50" not in fired


def test_a_relative_day_is_not_asked_again(assistant):
    reply = assistant.respond(Inbound("上周刚递交了入党申请书，什么时候谈话"))  # 上周 is as exact as a user gets
    assert reply.kind == "situation" and "application.talk_deadline" in {v["rule_id"] for v in reply.verdicts}


def test_a_date_given_only_by_month_is_answered_when_every_day_agrees(assistant):
    reply = assistant.respond(Inbound("他2025年5月入党，什么时候转正"))
    assert reply.kind == "situation" and {v["rule_id"] for v in reply.verdicts} == {"probation.end_passed"}


def test_an_approximate_amount_inside_a_band_is_answered(assistant):
    reply = assistant.respond(Inbound("工资8千左右，党费交多少"))  # 8000 either way is 5000-10000: 1.5%
    assert reply.kind == "situation" and "按1.5%交纳" in reply.text


def test_a_question_about_one_rule_asks_for_its_fact_rather_than_answer_another(assistant):
    # 正式党员 alone settle whether a 支委会 is needed, not whether a 总支 may be set up (the total counts)
    first = assistant.respond(Inbound("支部有25个正式党员，要成立党总支吗"))
    assert first.kind == "ask" and "含预备党员" in first.text and "支部委员会" not in first.text
    second = assistant.respond(Inbound("30"), first.pending)
    fired = {v["rule_id"]: v["outcome"] for v in second.verdicts}
    assert second.kind == "situation" and fired.get("branch_formation.general_branch_below_50") == "info"
    assert "不足50名" in second.text


@pytest.mark.parametrize(
    "question, problem",
    [
        ("我们单位有-3名正式党员，能成立支部吗", "3"),
        ("应到会20人，实到25人，赞成12票，通过了吗", "实到"),
        ("我2025年2月30日成为预备党员，什么时候转正", "2月30日"),
        ("我2099年3月1日被支部大会通过为预备党员，什么时候转正", "2099"),
        ("我们单位有1000000000名正式党员，能成立支部吗", "1000000000"),
    ],
)
def test_absurd_facts_get_a_clear_message_and_no_verdict(assistant, question, problem):
    reply = assistant.respond(Inbound(question))
    assert reply.verdicts == () and reply.fallback
    assert problem in reply.text


def test_pending_topic_is_kept_for_a_bare_answer(assistant):
    pending = Pending("branch_formation", {}, ("full_members",))
    reply = assistant.respond(Inbound("2"), pending)
    assert any(v["rule_id"] == "branch_formation.too_few_full_members" for v in reply.verdicts)
