"""Table tests for the fact extractor (rules/extract.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.numerals import numerals_to_digits
from rules.extract import Extraction, echo, extract, fill_asked, parse_facts
from rules.vocab import default_vocabulary

FACTS = default_vocabulary().facts
TOPICS = {name: t.facts for name, t in default_vocabulary().topics.items()}

TODAY = date(2026, 11, 23)

# (text, expected topic, expected facts: a subset of what is extracted, values and types exact)
CASES = [
    # --- the four reference sentences
    ("我们公司只有2名正式党员，能单独成立支部吗", "branch_formation", {"full_members": 2, "org_type": "企业"}),
    ("应到会有表决权的正式党员20人，赞成10票，通过了吗", "branch_vote", {"expected_voters": 20, "yes_votes": 10}),
    ("我2025年3月1日被支部大会通过为预备党员，什么时候转正", "probation", {"probation_start": date(2025, 3, 1)}),
    ("有个党员连续7个月没交党费了", "membership_status", {"months_unpaid": 7}),
    # --- member counts
    ("我们支部就俩正式党员，能成立支部吗", "branch_formation", {"full_members": 2}),
    ("俩党员能建支部吗", "branch_formation", {"members_total": 2}),
    ("正式党员2人，能成立党支部吗", "branch_formation", {"full_members": 2}),
    ("单位有2个正式党员，怎么建党组织", "branch_formation", {"full_members": 2}),
    ("我们有两名正式党员，想成立支部", "branch_formation", {"full_members": 2}),
    ("村里有十二个党员，能成立支部吗", "branch_formation", {"members_total": 12, "org_type": "村"}),
    ("党员一百二十人，能成立党委吗", "branch_formation", {"members_total": 120}),
    ("支部共有党员56名，能成立总支吗", "branch_formation", {"members_total": 56}),
    ("正式党员2名预备党员1名，能成立支部吗", "branch_formation", {"full_members": 2, "probationary_members": 1}),
    ("有3名预备党员，2名正式党员，能单独建支部吗", "branch_formation", {"probationary_members": 3, "full_members": 2}),
    ("我们支部只有两名正式党员和一名预备党员", "branch_formation", {"full_members": 2, "probationary_members": 1}),
    (
        "我们村党员30个，正式党员27个，预备党员3个",
        "branch_formation",
        {"members_total": 30, "full_members": 27, "probationary_members": 3, "org_type": "村"},
    ),
    (
        "支部有20名党员，其中正式党员15名、预备党员5名，能设支委会吗",
        "branch_formation",
        {"members_total": 20, "full_members": 15, "probationary_members": 5},
    ),
    ("正式党员只有1名，能成立支部吗", "branch_formation", {"full_members": 1}),
    ("我们厂有5个党员，要成立支部", "branch_formation", {"members_total": 5, "org_type": "企业"}),
    ("党员人数120人，应该设党委还是总支", "branch_formation", {"members_total": 120}),
    ("3个单位联合成立支部，行吗", "branch_formation", {"units": 3}),
    ("工期8个月的项目能成立支部吗", "branch_formation", {"project_months": 8}),
    ("我们大学有3名正式党员，能成立支部吗", "branch_formation", {"full_members": 3, "org_type": "学校"}),
    ("这所中学只有2名正式党员，怎么建支部", "branch_formation", {"full_members": 2, "org_type": "学校"}),
    ("村小学有2名正式党员，能成立支部吗", "branch_formation", {"full_members": 2, "org_type": "村"}),
    ("高校的研究生党员有60名，能成立总支吗", "branch_formation", {"members_total": 60, "org_type": "学校"}),
    ("县委办有4名正式党员，能成立支部吗", "branch_formation", {"full_members": 4, "org_type": "机关"}),
    ("我们局有12名正式党员，要成立支部", "branch_formation", {"full_members": 12, "org_type": "机关"}),
    ("厂里有2名正式党员，想联合周边企业建支部", "branch_formation", {"full_members": 2, "org_type": "企业"}),
    (
        "社区有正式党员5名，预备党员2名，能成立支部委员会吗",
        "branch_formation",
        {"full_members": 5, "probationary_members": 2, "org_type": "社区"},
    ),
    # --- branch votes
    ("应到20实到15", "branch_vote", {"expected_voters": 20, "present_voters": 15}),
    (
        "应到二十实到十五，赞成九票，能通过吗",
        "branch_vote",
        {"expected_voters": 20, "present_voters": 15, "yes_votes": 9},
    ),
    (
        "应到会有表决权的正式党员20人，实到会有表决权的正式党员15人，赞成10票",
        "branch_vote",
        {"expected_voters": 20, "present_voters": 15, "yes_votes": 10},
    ),
    (
        "应到20人，15人到会，10人同意，通过了吗",
        "branch_vote",
        {"expected_voters": 20, "present_voters": 15, "yes_votes": 10},
    ),
    (
        "应到20人，实到18人，10票赞成，不同意3票",
        "branch_vote",
        {"expected_voters": 20, "present_voters": 18, "yes_votes": 10},
    ),
    ("同意的有12人，应到会20人，通过了吗", "branch_vote", {"expected_voters": 20, "yes_votes": 12}),
    ("赞成票十二票，应到二十人", "branch_vote", {"expected_voters": 20, "yes_votes": 12}),
    (
        "支部大会表决，应到会正式党员12人，实际到会10人，同意7人",
        "branch_vote",
        {"expected_voters": 12, "present_voters": 10, "yes_votes": 7},
    ),
    (
        "应到会人数为30人，出席25人，赞成票16票",
        "branch_vote",
        {"expected_voters": 30, "present_voters": 25, "yes_votes": 16},
    ),
    # --- elections
    ("换届选举应选5名委员，候选人有6个，差额够吗", "election", {"seats": 5, "candidates": 6}),
    ("应选7人，候选人8名，差额够吗", "election", {"seats": 7, "candidates": 8}),
    (
        "局机关支部换届，应到45人，实到40人",
        "election",
        {"expected_voters": 45, "present_voters": 40, "org_type": "机关"},
    ),
    ("选举时应到30人实到25人，选举有效吗", "election", {"expected_voters": 30, "present_voters": 25}),
    ("选举时某候选人得票20票，实到会38人，能当选吗", "election", {"present_voters": 38, "yes_votes": 20}),
    ("支部2021年3月换届，今年要换届吗", "election", {"term_start": date(2021, 3, 1)}),
    ("本届支委会2021年5月选出，什么时候换届", "election", {"term_start": date(2021, 5, 1)}),
    ("任期开始于2021年6月1日", "election", {"term_start": date(2021, 6, 1)}),
    ("2023年选举产生的支委会，现在要换届吗", "election", {"term_start": date(2023, 1, 1)}),
    ("换届延期6个月需要批准吗", "election", {"postpone_months": 6}),
    ("村党支部想推迟半年换届", "election", {"postpone_months": 6, "org_type": "村"}),
    ("上届支委是前年选举产生的", "election", {"term_start": date(2024, 1, 1)}),
    # --- application and age
    ("我今年17岁，能写入党申请书吗", "application", {"age": 17}),
    ("17周岁可以递交入党申请书吗", "application", {"age": 17}),
    ("今年十七岁能入党吗", "application", {"age": 17}),
    ("年龄是16，能申请入党吗", "application", {"age": 16}),
    ("前年递交的入党申请书，现在能当积极分子吗", "application", {"application_date": date(2024, 1, 1)}),
    ("1年半前递交了入党申请书", "application", {"application_date": date(2025, 5, 23)}),
    ("3月1日递交的申请书", "application", {"application_date": date(2026, 3, 1)}),
    ("12月1日递交的申请书", "application", {"application_date": date(2025, 12, 1)}),
    ("我去年三月提交了入党申请", "application", {"application_date": date(2025, 3, 1)}),
    ("我2024年5月申请入党，今年18岁", "application", {"application_date": date(2024, 5, 1), "age": 18}),
    # --- activists
    (
        "去年三月递交了入党申请书，今年1月被确定为积极分子",
        "activist",
        {"application_date": date(2025, 3, 1), "activist_since": date(2026, 1, 1)},
    ),
    ("积极分子培养了一年半，能列为发展对象吗", "activist", {"training_months": 18}),
    ("入党积极分子培养考察了8个月", "activist", {"training_months": 8}),
    ("培养了14个月的积极分子能当发展对象吗", "activist", {"training_months": 14}),
    ("半年前被确定为积极分子", "activist", {"activist_since": date(2026, 5, 23)}),
    (
        "2025年1月10日被列为入党积极分子，培养了10个月",
        "activist",
        {"activist_since": date(2025, 1, 10), "training_months": 10},
    ),
    ("积极分子培养了2年", "activist", {"training_months": 24}),
    # --- development candidates
    ("其中一个介绍人是预备党员，可以吗", "candidate", {"sponsor_is_full_member": False}),
    ("一个预备党员做了他的入党介绍人", "candidate", {"sponsor_is_full_member": False}),
    ("介绍人都是正式党员", "candidate", {"sponsor_is_full_member": True}),
    ("我有1名介绍人，能发展吗", "candidate", {"sponsors": 1}),
    ("找了2个入党介绍人", "candidate", {"sponsors": 2}),
    ("两名正式党员作入党介绍人", "candidate", {"sponsors": 2}),
    ("发展对象参加了3天集中培训", "candidate", {"training_days": 3.0}),
    ("集中培训了24学时", "candidate", {"training_hours": 24.0}),
    ("发展对象培训了二十四小时够吗", "candidate", {"training_hours": 24.0}),
    ("他3个月内要调走，还能发展吗", "candidate", {"leaving_within_months": 3}),
    ("发展对象两个月后毕业离开学校", "candidate", {"leaving_within_months": 2, "org_type": "学校"}),
    # --- probation
    ("我2025.3.1被接收为预备党员，什么时候转正", "probation", {"probation_start": date(2025, 3, 1)}),
    ("2025-3-1成为预备党员", "probation", {"probation_start": date(2025, 3, 1)}),
    ("2025/3/1支部大会通过我为预备党员", "probation", {"probation_start": date(2025, 3, 1)}),
    ("我是2024年10月1日入党的，什么时候转正", "probation", {"probation_start": date(2024, 10, 1)}),
    ("去年5月入党，今年5月能转正吗", "probation", {"probation_start": date(2025, 5, 1)}),
    ("预备期延长了一年", "probation", {"extended_months": 12}),
    ("延长预备期半年，到期后怎么转正", "probation", {"extended_months": 6}),
    ("二〇二五年三月一日成为预备党员，预备期多久", "probation", {"probation_start": date(2025, 3, 1)}),
    ("２０２５年３月１日被接收为预备党员", "probation", {"probation_start": date(2025, 3, 1)}),
    # a part of a month is its earliest day (底: the last): 12月1日 made a December-end probation "already over"
    ("他去年12月底成为预备党员，预备期满了吗", "probation", {"probation_start": date(2025, 12, 31)}),
    ("他2025年12月下旬成为预备党员", "probation", {"probation_start": date(2025, 12, 21)}),
    ("他2025年12月中旬成为预备党员", "probation", {"probation_start": date(2025, 12, 11)}),
    ("他是在2025年的12月份成为预备党员的", "probation", {"probation_start": date(2025, 12, 1)}),  # was 2026
    ("机关党委2021年底换届的，到期了吗", "election", {"term_start": date(2021, 12, 31)}),  # was 1 January
    ("我们企业党总支2024年3、4月份换届，到期了吗", "election", {"term_start": date(2024, 3, 1)}),  # was 2026年4月
    ("他是一年前的今天成为预备党员的，今天能转正吗", "probation", {"probation_start": date(2025, 11, 23)}),  # not today
    ("他是去年七一入的党，转正了吗", "probation", {"probation_start": date(2025, 7, 1)}),  # was 1 January
    # --- dues
    ("税后月工资4500元，每月交多少党费", "dues", {"monthly_income": 4500.0}),
    ("工资4500块，党费交多少", "dues", {"monthly_income": 4500.0}),
    ("工资四千五交多少党费", "dues", {"monthly_income": 4500.0}),
    ("月收入1.2万，党费怎么算", "dues", {"monthly_income": 12000.0}),
    ("每月工资一万二，党费多少", "dues", {"monthly_income": 12000.0}),
    ("退休金3000块，党费交多少", "dues", {"monthly_income": 3000.0, "retired": True, "member_kind": "离退休"}),
    ("养老金每月6000元，党费按什么比例", "dues", {"monthly_income": 6000.0, "retired": True, "member_kind": "离退休"}),
    ("离退休费5000元交多少党费", "dues", {"monthly_income": 5000.0, "retired": True}),
    ("我是学生党员，党费交多少", "dues", {"member_kind": "学生"}),
    ("下岗失业党员党费怎么交", "dues", {"member_kind": "下岗失业"}),
    ("低保党员交多少党费", "dues", {"member_kind": "低保"}),
    ("农民党员党费怎么交", "dues", {"member_kind": "农民"}),
    ("在职党员月收入8000元", "dues", {"monthly_income": 8000.0, "member_kind": "在职"}),
    # --- organizational life
    ("上次党员大会是3个月前开的", "org_life", {"last_member_assembly": date(2026, 8, 23)}),
    ("支委会已经2个月没开了", "org_life", {"last_branch_committee": date(2026, 9, 23)}),
    ("3个月没开党员大会了", "org_life", {"last_member_assembly": date(2026, 8, 23)}),
    ("上次组织生活会是去年12月", "org_life", {"last_org_life_meeting": date(2025, 12, 1)}),
    ("上个月开了支委会", "org_life", {"last_branch_committee": date(2026, 10, 1)}),
    ("党小组会上上个月开的", "org_life", {"last_party_group": date(2026, 9, 1)}),  # was read as 上个月
    ("上周开了党小组会", "org_life", {"last_party_group": date(2026, 11, 16)}),
    ("昨天开了主题党日", "org_life", {"last_theme_day": date(2026, 11, 22)}),
    ("上次民主评议是2025年12月", "org_life", {"last_democratic_review": date(2025, 12, 1)}),
    ("今年1月开了党员大会", "org_life", {"last_member_assembly": date(2026, 1, 1)}),
    ("上个月15号开的党员大会", "org_life", {"last_member_assembly": date(2026, 10, 15)}),
    ("上次开支委会是10月8日", "org_life", {"last_branch_committee": date(2026, 10, 8)}),
    ("上一次主题党日是11月5号", "org_life", {"last_theme_day": date(2026, 11, 5)}),
    ("6月份开过党员大会", "org_life", {"last_member_assembly": date(2026, 6, 1)}),
    ("最近一次组织生活会是2025/12/20", "org_life", {"last_org_life_meeting": date(2025, 12, 20)}),
    ("去年年底搞的民主评议", "org_life", {"last_democratic_review": date(2025, 12, 31)}),  # 年底 as 12月底
    # --- membership status
    ("党员连续6个月不交党费会怎样", "membership_status", {"months_unpaid": 6}),
    ("有个党员党费8个月没交了", "membership_status", {"months_unpaid": 8}),
    ("有个党员失联8个月了", "membership_status", {"months_lost_contact": 8}),
    ("有个党员联系不上已经一年半了", "membership_status", {"months_lost_contact": 18}),
    ("14个月没参加组织生活了", "membership_status", {"months_no_org_life": 14}),
    ("半年没参加组织生活", "membership_status", {"months_no_org_life": 6}),
    ("有个党员外出打工两年了，组织关系要转吗", "membership_status", {"months_away": 24}),
    ("在外地打工，地点固定，已经外出8个月了", "membership_status", {"months_away": 8, "away_fixed_place": True}),
    ("到处跑，外出打工10个月了", "membership_status", {"months_away": 10, "away_fixed_place": False}),
    ("外出打工2年了，8个月没交党费", "membership_status", {"months_away": 24, "months_unpaid": 8}),
    ("退休党员连续7个月没交党费", "membership_status", {"months_unpaid": 7, "retired": True}),
    # --- required visits
    ("村里有个群众住院了，要去看望吗", "required_visit", {"visit_event": "住院", "person_kind": "群众"}),
    ("村里一个党员住院了", "required_visit", {"visit_event": "住院", "person_kind": "党员", "org_type": "村"}),
    ("党员老张生病了", "required_visit", {"visit_event": "生病", "person_kind": "党员"}),
    ("有个党员家里出了大事", "required_visit", {"visit_event": "家庭重大变故", "person_kind": "党员"}),
    ("村民老李家中遭灾", "required_visit", {"visit_event": "家庭重大变故", "person_kind": "群众"}),
    ("有个党员的父亲去世了", "required_visit", {"visit_event": "家庭重大变故"}),
    ("社区居民生病住院了", "required_visit", {"visit_event": "住院", "person_kind": "群众", "org_type": "社区"}),
    ("一个80岁的老党员住院了", "required_visit", {"visit_event": "住院", "age": 80}),
    ("党员家庭重大变故要走访吗", "required_visit", {"visit_event": "家庭重大变故"}),
    ("老党员的亲人去世了，支部要去吗", "required_visit", {"visit_event": "家庭重大变故", "person_kind": "党员"}),
    # --- weak organizations
    (
        "我们村两委不团结，上访多，算软弱涣散吗",
        "weak_org",
        {"committees_disunited": True, "social_unrest": True, "org_type": "村"},
    ),
    ("村里没有书记，班子软弱", "weak_org", {"secretary_vacant": True, "leader_incapable": True}),
    ("我们社区两委不团结", "weak_org", {"committees_disunited": True, "org_type": "社区"}),
    ("企业发生了安全生产事故", "weak_org", {"safety_incident": True, "org_type": "企业"}),
    ("去年没有发生安全事故", "weak_org", {"safety_incident": False}),
    ("学校党支部书记空缺", "weak_org", {"secretary_vacant": True, "org_type": "学校"}),
    ("村里社会不稳定，带头人不行，要整顿吗", "weak_org", {"social_unrest": True, "leader_incapable": True}),
]

# Plain questions with no situation: no topic and no facts.
NO_SITUATION = [
    "入党要几个介绍人",
    "入党需要两个介绍人吗",
    "成立支部要3名正式党员吗",
    "年满18岁才能入党吗",
    "不满18岁能申请入党吗",
    "三会一课怎么开",
    "两委换届在什么时候",
    "支部书记任期几年",
    "入党积极分子要培养多长时间",
    "党费交纳标准是什么",
    "同意一下吧",
    "工资一般，党费怎么交",
    "2026年12月要换届，需要准备什么",
    "2025年3月1日预备期满",
    "预备期到2026年3月1日",
    "你好",
    "正式党员3人以上就要成立支部吗",
    "党员失联6个月以上怎么办",
    "外出6个月以上要转组织关系吗",
    "入党积极分子要培养一年以上吗",
    "集中培训不少于3天吗",
    "我们支部今年发展了2名党员",
    "50人以上可以设总支吗",
    "上次党员大会是什么时候开的",
    "预备党员有表决权吗",
    "学习二十大精神",
    "两学一做是什么",
    "今年是建党105周年",
]

# (text, a fragment of one problem message)
PROBLEMS = [
    ("实到25人，应到20人", "实到会人数（25）多于应到会人数（20）"),
    ("赞成16票，实到15人", "赞成票（16）多于实到会人数（15）"),
    ("应到10人，赞成12票", "赞成票（12）多于应到会人数（10）"),
    ("支部有10亿名党员", "超出合理范围"),
    ("我们有十亿个正式党员", "超出合理范围"),
    ("有-2名正式党员", "不能是负数"),
    ("正式党员负3人", "不能是负数"),
    ("我今年170岁", "年龄 170 岁超出合理范围"),
    ("我2099年1月1日递交了申请书", "晚于今天"),
    ("2026年12月5日被确定为积极分子", "晚于今天"),
    ("2月30日递交的申请书", "日期不存在：2月30日"),
    ("2025年2月29日递交申请书", "日期不存在"),
    ("2024年13月1日入党", "日期不存在"),
    ("1900年递交申请书", "早于建党时间"),
    ("支部有20名党员，其中预备党员25名", "预备党员（25名）多于党员总数（20名）"),
    ("支部有20名党员，正式党员15名，预备党员3名", "不等于党员总数"),
    ("正式党员5名，应到会有表决权的正式党员8人", "多于正式党员人数"),
    ("找了20个介绍人", "超出合理范围"),
]


def _check_types(facts: dict[str, object]) -> None:
    """Every value has the Python type its fact declares, and fits the fact's choices."""
    types = {"int": int, "float": float, "bool": bool, "date": date, "choice": str}
    for name, value in facts.items():
        fact = FACTS[name]
        assert type(value) is types[fact.type], (name, value)
        if fact.type == "choice":
            assert value in fact.choices


@pytest.mark.parametrize(("text", "topic", "expected"), CASES)
def test_extract_cases(text: str, topic: str | None, expected: dict[str, object]) -> None:
    result = extract(text, TODAY)
    assert result.problems == ()
    assert result.topic == topic
    for name, value in expected.items():
        assert name in result.facts, (name, result.facts)
        assert result.facts[name] == value, (name, result.facts)
        assert type(result.facts[name]) is type(value), (name, result.facts)
    _check_types(result.facts)


def test_case_count() -> None:
    assert len(CASES) + len(NO_SITUATION) + len(PROBLEMS) >= 110


@pytest.mark.parametrize("text", NO_SITUATION)
def test_no_situation(text: str) -> None:
    assert extract(text, TODAY) == Extraction(None, {}, ())


@pytest.mark.parametrize(("text", "fragment"), PROBLEMS)
def test_problems(text: str, fragment: str) -> None:
    result = extract(text, TODAY)
    assert any(fragment in message for message in result.problems), result.problems
    _check_types(result.facts)
    for name, value in result.facts.items():
        if isinstance(value, date):
            assert value <= TODAY


def test_out_of_range_fact_is_dropped() -> None:
    result = extract("支部有10亿名党员", TODAY)
    assert "members_total" not in result.facts


@pytest.mark.parametrize(("text", "topic", "expected"), CASES)
def test_pipeline_normalized_text_gives_same_result(text: str, topic: str | None, expected: dict[str, object]) -> None:
    assert extract(numerals_to_digits(text), TODAY) == extract(text, TODAY)


def test_topics_are_known() -> None:
    for _, topic, expected in CASES:
        assert topic is None or topic in TOPICS
        assert set(expected) <= set(FACTS)


# --- echo


@pytest.mark.parametrize(
    ("facts", "text"),
    [
        ({"full_members": 2, "org_type": "企业"}, "我理解为：正式党员 2 名；单位类型 企业。"),
        ({"org_type": "企业", "full_members": 2}, "我理解为：正式党员 2 名；单位类型 企业。"),
        ({"probation_start": date(2025, 3, 1)}, "我理解为：支部大会通过为预备党员的日期 2025年3月1日。"),
        ({"retired": True, "monthly_income": 4500.0}, "我理解为：税后月收入（或离退休费） 4500 元；离退休党员 是。"),
        ({"sponsor_is_full_member": False}, "我理解为：介绍人均为正式党员 否。"),
        ({"training_days": 2.5}, "我理解为：集中培训天数 2.5 天。"),
        ({"leaving_within_months": 3}, "我理解为：预计离开本单位的时间 3 个月内。"),
        ({}, ""),
    ],
)
def test_echo(facts: dict[str, object], text: str) -> None:
    assert echo(facts) == text


def test_echo_of_extraction() -> None:
    result = extract("我们公司只有2名正式党员，能单独成立支部吗", TODAY)
    assert echo(result.facts) == "我理解为：正式党员 2 名；单位类型 企业。"


# --- parse_facts


@pytest.mark.parametrize(
    ("pairs", "facts"),
    [
        ({"full_members": "2"}, {"full_members": 2}),
        ({"topic": "branch_formation", "full_members": "2"}, {"full_members": 2}),
        ({"full_members": "两"}, {"full_members": 2}),
        ({"monthly_income": "4500"}, {"monthly_income": 4500.0}),
        ({"monthly_income": "1.2万"}, {"monthly_income": 12000.0}),
        ({"training_days": "2.5"}, {"training_days": 2.5}),
        ({"retired": "true", "sponsor_is_full_member": "否"}, {"retired": True, "sponsor_is_full_member": False}),
        ({"org_type": "企业", "member_kind": "离退休"}, {"org_type": "企业", "member_kind": "离退休"}),
        ({"probation_start": "2025-03-01"}, {"probation_start": date(2025, 3, 1)}),
        ({"term_start": "2021年6月1日"}, {"term_start": date(2021, 6, 1)}),
        ({"application_date": "2025/3/1"}, {"application_date": date(2025, 3, 1)}),
    ],
)
def test_parse_facts(pairs: dict[str, str], facts: dict[str, object]) -> None:
    parsed, problems = parse_facts(pairs)
    assert problems == []
    assert parsed == facts
    _check_types(parsed)


@pytest.mark.parametrize(
    ("pairs", "fragment"),
    [
        ({"fulll_members": "2"}, "unknown fact name: fulll_members"),
        ({"full_members": "abc"}, "expected a number"),
        ({"full_members": "2.5"}, "应为整数"),
        ({"full_members": "-1"}, "不能是负数"),
        ({"full_members": "2000000"}, "超出合理范围"),
        ({"retired": "maybe"}, "expected a boolean"),
        ({"org_type": "工厂"}, "expected one of"),
        ({"probation_start": "2025-02-30"}, "expected a date"),
        ({"probation_start": "yesterday"}, "expected a date"),
    ],
)
def test_parse_facts_problems(pairs: dict[str, str], fragment: str) -> None:
    parsed, problems = parse_facts(pairs)
    assert parsed == {}
    assert len(problems) == 1 and fragment in problems[0], problems


def test_parse_facts_keeps_good_values_next_to_bad_ones() -> None:
    parsed, problems = parse_facts({"full_members": "3", "units": "x"})
    assert parsed == {"full_members": 3}
    assert len(problems) == 1


# --- fill_asked: short replies to the bot's follow-up questions


@pytest.mark.parametrize(
    ("asked", "reply", "already", "filled"),
    [
        (("full_members",), "2", {}, {"full_members": 2}),
        (("full_members",), "两个", {}, {"full_members": 2}),
        (("full_members",), "俩", {}, {"full_members": 2}),
        (("full_members", "org_type"), "公司", {}, {"org_type": "企业"}),
        (("full_members", "org_type"), "企业，3名", {}, {"org_type": "企业", "full_members": 3}),
        (("org_type",), "我们是村里的", {}, {"org_type": "村"}),
        (("retired",), "是的", {}, {"retired": True}),
        (("sponsor_is_full_member",), "不是", {}, {"sponsor_is_full_member": False}),
        (("probation_start",), "2025年3月1日", {}, {"probation_start": date(2025, 3, 1)}),
        (("last_member_assembly",), "上个月", {}, {"last_member_assembly": date(2026, 10, 1)}),
        (("training_months",), "一年半", {}, {"training_months": 18}),
        (("training_days",), "3天", {}, {"training_days": 3.0}),
        (("monthly_income",), "4500元", {}, {"monthly_income": 4500.0}),
        (("expected_voters", "present_voters"), "20", {}, {}),  # ambiguous: two counts asked
        (("full_members",), "2", {"full_members": 3}, {}),  # already read by extract()
        (("full_members",), "很多", {}, {}),
        (("full_members",), "10亿", {}, {}),  # out of range: not filled
        (("probation_start",), "2099年1月1日", {}, {}),  # future date: not filled
    ],
)
def test_fill_asked(asked: tuple[str, ...], reply: str, already: dict[str, object], filled: dict[str, object]) -> None:
    result = fill_asked(asked, reply, already, today=TODAY)
    assert result == filled
    _check_types(result)


# --- robustness


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("党员正式预备应到实赞成票名个月年日岁元两十百一二三0123456789-.,，住院村")),
        max_size=40,
    )
)
def test_extract_never_raises_and_types_hold(text: str) -> None:
    result = extract(text, TODAY)
    assert result.topic is None or result.topic in TOPICS
    _check_types(result.facts)
    assert all(isinstance(message, str) and message for message in result.problems)


# --- the generic readers (issue 16): amounts as written, negation, implied facts, org level


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("党员每月工资8千，交多少党费", {"monthly_income": 8000.0, "retired": False}),
        ("工资8千5，党费多少", {"monthly_income": 8500.0}),
        ("工资1.5千，党费多少", {"monthly_income": 1500.0}),
        ("税后工资正好5000块，党费多少", {"monthly_income": 5000.0, "retired": False}),
        ("工资5000块整，党费多少", {"monthly_income": 5000.0}),
        # an approximate amount is read as its figure; the pipeline asks when that could change the band
        ("工资8000左右，党费多少", {"monthly_income": 8000.0}),
        ("工资5000多，党费多少", {"monthly_income": 5000.0}),
        ("我工资三千出头，党费交多少", {"monthly_income": 3000.0}),
        ("我工资8k，党费交多少", {"monthly_income": 8000.0}),  # as typed on a phone
        ("我工资1.5w，党费交多少", {"monthly_income": 15000.0}),
        ("我工资3,500元，党费交多少", {"monthly_income": 3500.0}),
        ("我工资4，800元，党费交多少", {"monthly_income": 4800.0}),
        ("我月薪1万2，党费交多少", {"monthly_income": 12000.0}),  # was 10000
        ("我税前工资5500，税后4800，党费交多少", {"monthly_income": 4800.0}),  # dues use the after-tax figure
        ("我一年工资10万，党费交多少", {"monthly_income": None}),  # a yearly figure is not the monthly one
        ("我爱人退休金3000，我工资6000，我党费交多少", {"monthly_income": 6000.0}),  # the member's own, not a spouse's
        ("我爸退休金3500，党费交多少", {"monthly_income": 3500.0}),  # asking for a parent: the only income given
        ("我爱人退休金3000，我工资6000，我爱人党费交多少", {"monthly_income": 3000.0}),  # asked for the spouse
        ("有个党员一年零三个月没交党费", {"months_unpaid": 15}),  # was 3
        ("有个党员快半年没交党费了", {"months_unpaid": 5}),  # just under six months: was 6, 自行脱党
        ("有个党员小半年没交党费了", {"months_unpaid": 5}),
        ("有个党员近两个月没交党费", {"months_unpaid": 1}),  # near N is read as N - 1: right for every threshold ≤ N
        ("有个党员将近7个月没交党费", {"months_unpaid": 6}),
        ("有个党员快一年没交党费", {"months_unpaid": 11}),  # near a year: 11 months
        ("有个党员最近3个月没交党费", {"months_unpaid": 3}),  # 最近 is a time, not 近 (near)
        ("有个党员还差一个月就满六个月没交党费", {"months_unpaid": 5}),  # was 1
        ("有个党员不是六个月没交党费，是三个月", {"months_unpaid": None}),  # not 6 (自行脱党); no figure is safer
        ("公司有近五十名党员，能成立总支吗", {"members_total": 49}),  # under 50: was 50, 可以设总支
        ("我们公司有三五个正式党员，能成立支部吗", {"full_members": None}),  # 3 to 5: was 35
        # a sum's missing part is derived (正式 + 预备 = 总数)
        ("7名党员其中2名是预备党员，能设支委会吗", {"full_members": 5, "probationary_members": 2, "members_total": 7}),
        ("8个党员其中一个预备党员，能设支委会吗", {"full_members": 7, "members_total": 8}),
        ("正式党员48名，预备党员5名，能成立总支吗", {"members_total": 53}),
        ("每月工资５０００元，党费交多少", {"monthly_income": 5000.0}),  # full-width digits
        ("工资一万二，党费多少", {"monthly_income": 12000.0}),
        ("退休金4000，党费交多少", {"monthly_income": 4000.0, "retired": True, "member_kind": "离退休"}),
        ("村里没有发生安全事故，两委不团结", {"safety_incident": False, "committees_disunited": True}),
        ("我们是机关党委，2022年6月换届的", {"org_level": "党委", "org_type": "机关"}),
        ("我们总支2023年换届", {"org_level": "总支"}),
        ("我们支部换届要党委批准吗，2023年5月选的", {"org_level": "支部"}),
        ("我们有4个正式党员3个预备党员，能设支委会吗", {"full_members": 4, "probationary_members": 3}),
        ("实到18人，李四得了9票，当选了吗", {"present_voters": 18, "yes_votes": 9}),
        ("支部大会应到12人，只来了5人，能表决吗", {"expected_voters": 12, "present_voters": 5}),
        ("发展对象下个月就要调走了", {"leaving_within_months": 1}),
    ],
)
def test_generic_readers(text: str, facts: dict[str, object]) -> None:
    result = extract(text, TODAY)
    assert {k: result.facts.get(k) for k in facts} == facts, result


@pytest.mark.parametrize("text", ["月收入8000，个税交多少", "工资8000要交多少个人所得税", "工资一般，党费怎么交"])
def test_no_income_read_for_tax_or_without_an_amount(text: str) -> None:
    assert "monthly_income" not in extract(text, TODAY).facts


def test_org_level_only_in_term_and_election_messages() -> None:
    assert "org_level" not in extract("我们支部今年发展了2名党员", TODAY).facts
