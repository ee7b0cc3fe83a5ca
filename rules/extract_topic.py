"""Which topic a situation is about, from keywords and the facts found.

Conservative: a topic is only given when the text holds a situation fact that the topic owns,
and either a keyword of that topic is present or the topic owns at least two of the facts.
Procedural questions without facts ('入党要几个介绍人') get no topic.
"""

from __future__ import annotations

import re

from rules.vocabulary import TOPICS

# Facts that describe the setting rather than a situation: alone, they make no topic.
CONTEXT_ONLY = frozenset({"org_type", "person_kind"})

_UNPAID = r"(?:没|未|不|欠|没有)(?:按时)?(?:交|缴)(?:纳)?(?:过)?(?:了)?党费"

TOPIC_KEYWORDS: dict[str, re.Pattern[str]] = {name: re.compile(p) for name, p in (
    ("branch_formation", r"成立|建立|组建|设立|单独建|建支部|联合支部|联合党支部|联合|总支|党委|设置|撤销|建党组织"),
    ("application", r"入党申请|申请书|申请入党|入党年龄|年满|递交|多大|入党(?!介绍)"),
    ("activist", r"积极分子|培养联系人|培养|考察|发展对象"),
    ("candidate", r"发展对象|介绍人|集中培训|培训|政审|政治审查|调走|调离|离开|接收|志愿书"),
    ("branch_vote", r"表决|赞成|同意|通过了吗|能通过|通过吗|通过没|没通过|反对|弃权|票"),
    ("probation", r"转正|预备期|预备党员|入党宣誓|党龄"),
    ("election", r"选举|换届|候选人|当选|应选|差额|任期|届|委员"),
    ("dues", rf"(?<!没交)(?<!未交)(?<!不交)(?<!欠交)(?<!没缴)(?<!未缴)党费(?!.{{0,3}}?没|.{{0,3}}?未)"
             r"|交多少|缴纳|养老金|退休金|工资|收入|基数|比例"),
    ("org_life", r"党员大会|支部大会|支委会|党小组|主题党日|组织生活会|民主评议|三会一课|上次|开会"),
    ("membership_status", rf"失联|联系不上|失去联系|外出|外地|打工|务工|组织关系|{_UNPAID}|党费.{{0,4}}?(?:没|未)交"
                          r"|组织生活(?!会)|脱党|除名|停止党籍|流动党员"),
    ("required_visit", r"住院|生病|病|变故|看望|走访|慰问|必访|去世|过世|遭灾|受灾|出了?大事|出事"),
    ("weak_org", r"软弱涣散|后进|整顿|不团结|上访|事故|书记空缺|没有书记|班子|带头人|涣散|不稳定"),
)}

_ORDER = list(TOPICS)
# The stages of recruitment, in order: facts from a later stage mean the person is already there.
_STAGES = ("application", "activist", "candidate", "probation")


def infer_topic(text: str, facts: dict[str, object]) -> str | None:
    situation = {name for name in facts if name not in CONTEXT_ONLY}
    if not situation:
        return None
    scores = {}
    for topic, names in TOPICS.items():
        owned = len(situation & set(names))
        hits = len(TOPIC_KEYWORDS[topic].findall(text))
        if owned and (hits or owned >= 2):
            scores[topic] = (hits, owned, -_ORDER.index(topic))
    if not scores:
        return None
    chosen = max(scores, key=scores.__getitem__)
    if chosen in _STAGES:
        chosen = _latest_stage(situation) or chosen
    return chosen


def _latest_stage(situation: set[str]) -> str | None:
    """The latest recruitment stage that owns one of the facts."""
    owning = [stage for stage in _STAGES if situation & set(TOPICS[stage])]
    return owning[-1] if owning else None
