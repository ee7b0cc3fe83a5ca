"""Age, income, member kind, organization type, visit events and yes/no flags."""

from __future__ import annotations

import re

from rules.extract_common import FILLER, NUM, Scan, number_at

_AGE = re.compile(r"(?<![\d.])(?P<n>(?:-|负)?\d+)\s*(?:周岁|岁)(?P<tail>以上|以下|以内|之前|以前|前|以后|后|时|的时候|才)?")
_AGE_WORD = re.compile(r"年龄(?:是|为|有|:|\s)*(?P<n>\d+)(?![\d.])")
_AGE_RULE_LEAD = re.compile(r"(?:满|不到|不满|未满|超过|达到|要|须|需)\s*$")

_INCOME = re.compile(
    rf"(?:税后)?(?:每月|每个月|月)?(?P<kw>工资|收入|薪水|薪资|月薪|到手|月入|养老金|退休金|离退休费|退休费|退休工资|离休费)"
    rf"(?:收入)?(?:每月|每个月|一个月|一月|到手)?{FILLER}(?:税后)?(?P<n>{NUM})\s*(?:元|块钱|块)?")
_SALARY_WORDS = {"工资", "薪水", "薪资", "月薪"}
_PENSION = re.compile(r"养老金|退休金|离退休费|退休费|退休工资|离休费")
_RETIRED = re.compile(r"(?<![没未不])(?:离退休|退休|离休)")
_NOT_RETIRED = re.compile(r"(?:没|未|还没|还未|没有)(?:有)?退休")

# Member kinds for dues, most specific first.
_KINDS = (("低保", r"低保"), ("下岗失业", r"下岗|失业"), ("学生", r"学生(?!会)|在读|在校生"),
          ("农民", r"农民(?!工)|务农|种地"), ("在职", r"在职|上班"))

_ORG_TYPES = (("村", r"村"), ("社区", r"社区"),
              ("机关", r"机关|委办|政府|(?<![格布结大当饭赌开])局(?![面部限势])"),
              ("企业", r"企业|公司|(?<!党)厂|集团|车间|国企|民企|私企"),
              ("学校", r"学校|大学|中学|小学|高校|学院|中专|职校|高中|初中"))

_EVENTS = (("住院", r"住院"),
           ("家庭重大变故", r"重大变故|变故|家里出了?(?:大)?事|家中出了?(?:大)?事|遭灾|受灾|亲人去世|家人去世"
                          r"|(?:父亲|母亲|老伴|爱人|妻子|丈夫|儿子|女儿|孩子|家人|亲人)(?:不幸)?(?:去世|病逝|过世)"),
           ("生病", r"生病|生了病|患病|得病|得了.{0,6}?病|病重|重病|病倒|癌"))
_MASSES = re.compile(r"群众|村民|居民|老百姓|非党员")

# (fact, pattern for True, pattern for False)
_FLAGS = (
    ("committees_disunited", r"不团结|闹矛盾|两委矛盾|班子矛盾|内斗", None),
    ("social_unrest", r"社会不稳定|上访|群体性事件|治安(?:差|乱|混乱|不好)", None),
    ("safety_incident", r"(?<![没未无])(?:安全生产事故|安全事故|生产事故|安全生产出了?问题|出了?(?:重大)?事故|发生了?(?:重大)?事故)",
     r"(?:没|未|没有|无)(?:发生|出)?(?:过)?(?:安全生产事故|安全事故|生产事故|事故)"),
    ("secretary_vacant", r"书记(?:长期|一直)?空缺|没有书记|没书记|书记缺位|书记(?:位置)?空着|缺书记", None),
    ("leader_incapable", r"班子软弱|软弱无力|班子(?:能力)?(?:不足|不强|弱|涣散)|带头人(?:能力)?(?:不行|不足|不强|差)"
                         r"|书记(?:能力)?(?:不行|不足|不强|差|不称职)", None),
)

# The tables above, compiled once (re's own cache costs a lookup on every call of every question).
_KINDS = tuple((kind, re.compile(pattern)) for kind, pattern in _KINDS)
_ORG_TYPES = tuple((kind, re.compile(pattern)) for kind, pattern in _ORG_TYPES)
_EVENTS = tuple((event, re.compile(pattern)) for event, pattern in _EVENTS)
_FLAGS = tuple((name, re.compile(yes), re.compile(no) if no else None) for name, yes, no in _FLAGS)

_SPONSOR_PROBATIONARY = re.compile(
    r"介绍人(?:中|里|当中)?(?:有)?(?:其中)?(?:1个|1名|1位|一个|一名|一位)?(?:是|为|还是)预备党员"
    r"|预备党员(?:作|做|当|担任)了?(?:我的|他的|她的)?(?:入党)?介绍人(?![吗吧么?])")
_SPONSOR_FULL = re.compile(r"介绍人(?:都|均|全)(?:是|为)正式党员")

_AWAY = re.compile(r"外出|外地|打工|务工|在外")
_NOT_FIXED = re.compile(r"不固定|到处跑|流动性大|四处|居无定所|经常换")
_FIXED = re.compile(r"固定|长期在|一直在")


def extract_age(scan: Scan) -> None:
    for m in list(_AGE.finditer(scan.text)):
        lead = scan.text[max(0, m.start() - 3):m.start()]
        if not m["tail"] and not _AGE_RULE_LEAD.search(lead):
            scan.put("age", number_at(scan.text, m["n"], m.end("n")))
        scan.mask(m.start(), m.end())
    for m in list(_AGE_WORD.finditer(scan.text)):
        scan.put("age", int(m["n"]))
        scan.mask(m.start(), m.end())


def extract_income(scan: Scan) -> None:
    for m in list(_INCOME.finditer(scan.text)):
        value = number_at(scan.text, m["n"], m.end("n"), least=10)
        if value is None:
            continue
        scan.put("monthly_income", float(value))
        if _PENSION.search(m["kw"]):
            scan.put("retired", True)
        elif m["kw"] in _SALARY_WORDS:
            scan.put("retired", False)  # a salary means an in-service member
        scan.mask(m.start(), m.end())


def extract_member_kind(scan: Scan, text: str) -> None:
    if _NOT_RETIRED.search(text):
        scan.put("retired", False)
    elif _RETIRED.search(text) or _PENSION.search(text):
        scan.put("retired", True)
    if scan.facts.get("retired") is True:
        scan.put("member_kind", "离退休")
        return
    for kind, pattern in _KINDS:
        if pattern.search(text):
            scan.put("member_kind", kind)
            return


def extract_org_type(scan: Scan, text: str) -> None:
    """The organization type named first in the text."""
    found = [(m.start(), kind) for kind, pattern in _ORG_TYPES for m in [pattern.search(text)] if m]
    if found:
        scan.put("org_type", min(found)[1])


def extract_visit_event(scan: Scan, text: str) -> None:
    for event, pattern in _EVENTS:
        if pattern.search(text):
            scan.put("visit_event", event)
            scan.put("person_kind", "群众" if _MASSES.search(text) else "党员")
            return


def extract_flags(scan: Scan, text: str) -> None:
    for name, yes, no in _FLAGS:
        if no and no.search(text):
            scan.put(name, False)
        elif yes.search(text):
            scan.put(name, True)
    if _SPONSOR_PROBATIONARY.search(text):
        scan.put("sponsor_is_full_member", False)
    elif _SPONSOR_FULL.search(text):
        scan.put("sponsor_is_full_member", True)
    if _AWAY.search(text):
        if _NOT_FIXED.search(text):
            scan.put("away_fixed_place", False)
        elif _FIXED.search(text):
            scan.put("away_fixed_place", True)


def mask_sponsor_phrases(scan: Scan) -> None:
    """'介绍人是预备党员' must not be read as a count of probationary members."""
    for m in list(_SPONSOR_PROBATIONARY.finditer(scan.text)):
        scan.mask(m.start(), m.end())


def extract_context(scan: Scan, text: str) -> None:
    """Facts read from words anywhere in the (unmasked) text."""
    extract_member_kind(scan, text)
    extract_org_type(scan, text)
    extract_visit_event(scan, text)
    extract_flags(scan, text)
