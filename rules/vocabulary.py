"""The fact vocabulary: code owns fact names, types and units; YAML owns thresholds and wording.

Every fact a policy may use, every fact the extractor may produce, and every topic are declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

ORG_TYPES = ("村", "社区", "机关", "企业", "学校", "其他")
MEMBER_KINDS = ("在职", "离退休", "农民", "学生", "下岗失业", "低保", "其他")
VISIT_EVENTS = ("生病", "住院", "家庭重大变故")
PERSON_KINDS = ("党员", "群众")


@dataclass(frozen=True)
class Fact:
    """One fact name: its type (int, float, bool, date, choice), Chinese label and unit."""

    name: str
    type: str
    label: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = 0
    maximum: float | None = None


FACTS: dict[str, Fact] = {f.name: f for f in (
    # branch formation
    Fact("full_members", "int", "正式党员", "名", maximum=1_000_000),
    Fact("probationary_members", "int", "预备党员", "名", maximum=1_000_000),
    Fact("members_total", "int", "党员总数", "名", maximum=1_000_000),
    Fact("org_type", "choice", "单位类型", choices=ORG_TYPES),
    Fact("units", "int", "联合的单位数", "个", maximum=1000),
    Fact("project_months", "int", "工程项目工期", "个月", maximum=600),
    # application / activist / candidate
    Fact("age", "int", "年龄", "岁", maximum=120),
    Fact("application_date", "date", "递交入党申请书日期"),
    Fact("activist_since", "date", "确定为入党积极分子日期"),
    Fact("training_months", "int", "培养考察时间", "个月", maximum=600),
    Fact("sponsors", "int", "入党介绍人", "名", maximum=10),
    Fact("sponsor_is_full_member", "bool", "介绍人均为正式党员"),
    Fact("training_days", "float", "集中培训天数", "天", maximum=365),
    Fact("training_hours", "float", "集中培训学时", "学时", maximum=2000),
    Fact("leaving_within_months", "int", "预计离开本单位的时间", "个月内", maximum=600),
    # votes and elections
    Fact("expected_voters", "int", "应到会有表决权（选举权）的正式党员", "人", maximum=1_000_000),
    Fact("present_voters", "int", "实到会有表决权（选举权）的正式党员", "人", maximum=1_000_000),
    Fact("yes_votes", "int", "赞成票", "票", maximum=1_000_000),
    Fact("seats", "int", "应选名额", "名", maximum=1000),
    Fact("candidates", "int", "候选人", "名", maximum=1000),
    Fact("term_start", "date", "本届任期开始日期"),
    Fact("postpone_months", "int", "拟延期换届", "个月", maximum=600),
    # probation
    Fact("probation_start", "date", "支部大会通过为预备党员的日期"),
    Fact("extended_months", "int", "延长预备期", "个月", maximum=600),
    # dues
    Fact("monthly_income", "float", "税后月收入（或离退休费）", "元", maximum=100_000_000),
    Fact("retired", "bool", "离退休党员"),
    Fact("member_kind", "choice", "党员类别", choices=MEMBER_KINDS),
    # organizational life: the last time each was held
    Fact("last_member_assembly", "date", "上次党员大会"),
    Fact("last_branch_committee", "date", "上次支委会"),
    Fact("last_party_group", "date", "上次党小组会"),
    Fact("last_theme_day", "date", "上次主题党日"),
    Fact("last_org_life_meeting", "date", "上次组织生活会"),
    Fact("last_democratic_review", "date", "上次民主评议党员"),
    # membership status
    Fact("months_unpaid", "int", "连续未交党费", "个月", maximum=1200),
    Fact("months_no_org_life", "int", "连续未参加组织生活", "个月", maximum=1200),
    Fact("months_lost_contact", "int", "失去联系", "个月", maximum=1200),
    Fact("months_away", "int", "外出学习工作生活", "个月", maximum=1200),
    Fact("away_fixed_place", "bool", "外出地点相对固定"),
    # required visits (local practice, seed 000)
    Fact("visit_event", "choice", "发生的情况", choices=VISIT_EVENTS),
    Fact("person_kind", "choice", "对象", choices=PERSON_KINDS),
    # weak organizations (seeds 000, 003)
    Fact("committees_disunited", "bool", "两委不团结"),
    Fact("social_unrest", "bool", "社会不稳定"),
    Fact("safety_incident", "bool", "安全生产出问题"),
    Fact("secretary_vacant", "bool", "书记空缺"),
    Fact("leader_incapable", "bool", "班子或带头人能力不足"),
)}

# The topics and, for each, the facts that belong to it (used to ask for missing facts).
TOPICS: dict[str, tuple[str, ...]] = {
    "branch_formation": ("full_members", "probationary_members", "members_total", "org_type",
                         "units", "project_months"),
    "application": ("age", "application_date"),
    "activist": ("training_months", "activist_since"),
    "candidate": ("sponsors", "sponsor_is_full_member", "training_days", "training_hours",
                  "leaving_within_months"),
    "branch_vote": ("expected_voters", "present_voters", "yes_votes"),
    "probation": ("probation_start", "extended_months"),
    "election": ("expected_voters", "present_voters", "seats", "candidates", "term_start",
                 "org_type", "postpone_months"),
    "dues": ("monthly_income", "retired", "member_kind"),
    "org_life": ("last_member_assembly", "last_branch_committee", "last_party_group",
                 "last_theme_day", "last_org_life_meeting", "last_democratic_review"),
    "membership_status": ("months_unpaid", "months_no_org_life", "months_lost_contact",
                          "months_away", "away_fixed_place"),
    "required_visit": ("visit_event", "person_kind"),
    "weak_org": ("committees_disunited", "social_unrest", "safety_incident", "secretary_vacant",
                 "leader_incapable"),
}

TOPIC_LABELS: dict[str, str] = {
    "branch_formation": "党组织设置", "application": "入党申请", "activist": "入党积极分子培养",
    "candidate": "发展对象", "branch_vote": "支部大会表决", "probation": "预备期与转正",
    "election": "换届选举", "dues": "党费", "org_life": "组织生活", "membership_status": "党员管理",
    "required_visit": "三必访", "weak_org": "软弱涣散整顿",
}
