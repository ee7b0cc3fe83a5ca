"""Counts by role: members, voters, votes, seats, candidates, sponsors, units.

Specific patterns (votes, sponsors) run first and mask what they read, so that
'应到会有表决权的正式党员20人' is read as expected voters and not again as full members.
"""

from __future__ import annotations

import re

from rules.extract_common import FILLER, NUM, Scan, clause_at, number_at

# Atomic, so that a following check cannot backtrack into the measure word (3人以上).
MEASURE = r"(?>\s*(?:名|个(?![月半多])|位|人)?)"
_VOTER = r"(?:会)?(?:的)?(?:有表决权|有选举权)?(?:的)?(?:正式)?(?:党员)?(?:人数)?"
_DIGITS = r"(?:-|负)?\d+(?:\.\d+)?(?:万|亿)?"
# After a count there must not be a unit that makes it something else (7个月, 17岁, 4500元).
_NOT_UNIT = r"(?![\d.月年天岁元块周号日票%次]|以上|以下|以内|及以上|左右)"

# (fact, pattern with group n); order matters.
SPECIFIC: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(p)) for name, p in (
    ("sponsors", rf"(?<!其中)(?<![\d.])(?P<n>\d+)\s*(?:名|个|位)(?:正式党员)?(?:作|做|当|担任)?"
                 rf"(?:了)?(?:我的|他的|她的|的)?(?:入党)?介绍人"),
    ("sponsors", rf"介绍人{FILLER}(?P<n>{NUM}){MEASURE}{_NOT_UNIT}"),
    ("expected_voters", rf"应到{_VOTER}{FILLER}(?P<n>{NUM}){MEASURE}"),
    ("present_voters", rf"(?:(?<![落核证])实到|实际到会|实际到|到会|出席|参会){_VOTER}{FILLER}(?P<n>{NUM}){MEASURE}"),
    ("present_voters", rf"(?<![\d.])(?P<n>\d+)\s*(?:人|名)(?:党员)?(?:实际)?(?:到会|出席|参会|到场|参加了?会议)"),
    ("yes_votes", rf"(?<!不)(?:赞成|同意)(?:票)?(?:的)?(?:票数|人数)?{FILLER}(?P<n>{NUM})\s*(?:票|人|名)?"),
    ("yes_votes", rf"(?<![\d.])(?P<n>\d+)\s*(?:票|人|名)(?:投了?)?(?<!不)(?:赞成|同意)"),
    ("yes_votes", rf"得票{FILLER}(?P<n>{NUM})\s*票?"),
    ("seats", rf"应选(?:委员)?(?:名额|人数)?{FILLER}(?P<n>{NUM})\s*(?:名|人|个)?"),
    ("seats", rf"(?<![\d.])(?P<n>\d+)\s*个名额"),
    ("candidates", rf"候选人(?:人数)?{FILLER}(?P<n>{NUM})\s*(?:名|个|位|人)?"),
    ("candidates", rf"(?<![\d.])(?P<n>\d+)\s*(?:名|个|位)(?:委员)?候选人"),
)]

_UNITS = re.compile(r"(?<![\d.])(?P<n>\d+)\s*(?:个|家)(?:小)?(?:单位|企业|公司|村|社区|学校|商户|门店|店)")

_QUAL = r"(?:有表决权的|有选举权的|在职的?|在册的?|离退休的?|退休的?|流动的?|农民|女|男|老)?"
_ROLE_WORDS = {"正式党员": "full_members", "预备党员": "probationary_members", "党员": "members_total",
               "党员总数": "members_total", "党员人数": "members_total"}
_ROLE_AFTER = re.compile(
    rf"(?<!党员)(?<![\d.])(?P<n>{_DIGITS}){MEASURE}{_QUAL}(?P<role>正式党员|预备党员|党员)(?!大会|代表|会|干部)")
_ROLE_BEFORE = re.compile(
    rf"(?<!正式)(?<!预备)(?P<role>正式党员|预备党员|党员总数|党员人数|党员)(?!大会|代表|会|干部)"
    rf"(?P<fill>{FILLER})(?P<n>{_DIGITS}){MEASURE}{_NOT_UNIT}")

# 'X needs N members?' is a rule question, not a count of the user's branch.
_REQUIREMENT = re.compile(r"(?:需要|要|必须|须|至少|最少|不少于|需|得|应有|应该有|满|够|不足|不到|不满|超过|达到)\s*$")
# A clause telling a story about some members (有2名党员外出打工) does not give the branch size.
_NARRATIVE = re.compile(r"住院|生病|病|去世|外出|外地|打工|务工|失联|联系不上|没交|未交|不交|欠交|没参加|未参加"
                        r"|调走|调离|离开|变故|处分|违纪|介绍人|积极分子|培训|出国|上访|发展|吸收|接收")
# Before a '1', these make it a count (只有1名, 和1名预备党员) rather than an article.
_ONLY = re.compile(r"(?:只有|仅有|只|仅|才|就|共|一共|总共|合计|全部|现有|和|、|及|以及|加上|另有)\s*$")


def _read(scan: Scan, name: str, m: re.Match[str]) -> None:
    """Record the number of a match (unless it is a requirement) and mask the match."""
    value = number_at(scan.text, m["n"], m.end("n"))
    before = scan.text[max(0, m.start("n") - 4):m.start("n")]
    if value is not None and not _REQUIREMENT.search(before):
        scan.put(name, value)
    if value is not None:
        scan.mask(m.start(), m.end())


def extract_specific_counts(scan: Scan) -> None:
    for name, pattern in SPECIFIC:
        for m in list(pattern.finditer(scan.text)):
            if name not in scan.facts:
                _read(scan, name, m)


def extract_units(scan: Scan) -> None:
    if not re.search(r"联合|联建|合建", scan.text):
        return
    for m in list(_UNITS.finditer(scan.text)):
        _read(scan, "units", m)


def _role_count_ok(scan: Scan, m: re.Match[str], lead: str, number_first: bool) -> bool:
    """Skip requirement questions, narratives, and a lone '1' before the role, which is an
    article (一个党员住院了) unless qualified (只有1名正式党员)."""
    if _REQUIREMENT.search(lead) or _NARRATIVE.search(clause_at(scan.text, m.start())):
        return False
    value = number_at(scan.text, m["n"], m.end("n"))
    return value is not None and (value != 1 or not number_first or bool(_ONLY.search(lead)))


def extract_role_counts(scan: Scan) -> None:
    for pattern in (_ROLE_AFTER, _ROLE_BEFORE):
        number_first = pattern is _ROLE_AFTER
        for m in list(pattern.finditer(scan.text)):
            lead = scan.text[max(0, m.start() - 4):m.start()]
            if not number_first:
                lead += m["fill"]
            if _role_count_ok(scan, m, lead, number_first):
                scan.put(_ROLE_WORDS[m["role"]], number_at(scan.text, m["n"], m.end("n")))
                scan.mask(m.start(), m.end())


def extract_counts(scan: Scan) -> None:
    extract_specific_counts(scan)
    extract_units(scan)
    extract_role_counts(scan)
