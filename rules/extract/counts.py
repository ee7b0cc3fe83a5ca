"""Numbers by role: every count, money or percentage fact declared with `read.patterns` or `read.role`.

Pattern facts run first, in vocabulary order, and mask what they read, so that
'应到会有表决权的正式党员20人' is read as expected voters and not again as full members. Role facts
('N名<role>' or '<role>N名') run last with the guards below.
"""

from __future__ import annotations

import re

from rules.extract.common import Scan, clause_at, number_at
from rules.vocab import GRAMMAR, Fact

MEASURE = GRAMMAR["MEASURE"]
_DIGITS = GRAMMAR["DIGITS"]
_NOT_UNIT = GRAMMAR["NOT_UNIT"]
_QUAL = r"(?:有表决权的|有选举权的|在职的?|在册的?|离退休的?|退休的?|流动的?|农民|女|男|老)?"

# 'X needs N members?' is a rule question, not a count of the user's own branch.
REQUIREMENT = re.compile(r"(?:需要|要|必须|须|至少|最少|不少于|需|得|应有|应该有|满|够|不足|不到|不满|超过|达到)\s*$")
# A clause telling a story about some members (有2名党员外出打工) does not give the branch size.
_NARRATIVE = re.compile(
    r"住院|生病|病|去世|外出|外地|打工|务工|失联|联系不上|没交|未交|不交|欠交|没参加|未参加"
    r"|调走|调离|离开|变故|处分|违纪|介绍人|积极分子|培训|出国|上访|发展|吸收|接收"
)
# Before a '1', these make it a count (只有1名, 和1名预备党员) rather than an article.
_ONLY = re.compile(r"(?:只有|仅有|只|仅|才|就|共|一共|总共|合计|全部|现有|和|、|及|以及|加上|另有|其中)\s*$")
_NUMERIC = ("count", "money", "percentage")


def _read(scan: Scan, fact: Fact, m: re.Match[str], unless_before, unless_after) -> None:
    """Record the number of a match (unless it is a requirement or a rule threshold) and mask it."""
    value = number_at(scan.text, m["n"], m.end("n"), least=fact.read.get("least"))
    if value is None:
        return
    before = scan.text[max(0, m.start("n") - 4) : m.start("n")]
    after = scan.text[m.end() : m.end() + 4]
    skip = (unless_before or REQUIREMENT).search(before) or (unless_after and unless_after.match(after))
    if not skip:
        scan.put(fact.name, float(value) if fact.type == "float" else value)
    scan.mask(m.start(), m.end())


def _pattern_facts(vocab) -> dict[bool, tuple[Fact, ...]]:
    numeric = [f for f in vocab.facts.values() if f.yaml_type in _NUMERIC and "patterns" in f.read]
    return {early: tuple(f for f in numeric if bool(f.read.get("early")) == early) for early in (False, True)}


def extract_pattern_counts(scan: Scan, early: bool = False) -> None:
    """Numbers read by their facts' patterns; `early`: only the facts marked early (run before durations)."""
    for fact in scan.vocab.derived("pattern_facts", _pattern_facts)[early]:
        read = fact.read
        if fact.name in scan.facts:
            continue
        if read.get("when") is not None and not read["when"].search(scan.text):
            continue
        if read.get("unless") is not None and read["unless"].search(scan.text):
            continue
        for spec in read["patterns"]:
            for m in list(spec.regex.finditer(scan.text)):
                if fact.name not in scan.facts:
                    _read(scan, fact, m, spec.unless_before, spec.unless_after)


def _role_patterns(scan: Scan) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    return scan.vocab.derived("role_patterns", _build_role_patterns)


def _build_role_patterns(vocab) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    roles = {word: fact.name for fact in vocab.facts.values() for word in fact.read.get("role", ())}
    # longest first, so 正式党员 wins over 党员
    words = "|".join(sorted(map(re.escape, roles), key=len, reverse=True))
    after = re.compile(rf"(?<!党员)(?<![\d.])(?P<n>{_DIGITS}){MEASURE}{_QUAL}(?P<role>{words})(?!大会|代表|会|干部)")
    before = re.compile(
        rf"(?<!正式)(?<!预备)(?P<role>{words})(?!大会|代表|会|干部)"
        rf"(?P<fill>{GRAMMAR['FILLER']})(?P<n>{_DIGITS}){MEASURE}{_NOT_UNIT}"
    )
    return after, before, roles


def _role_count_ok(scan: Scan, m: re.Match[str], lead: str, number_first: bool) -> bool:
    """Skip requirement questions, narratives, and a lone '1' before the role, which is an
    article (一个党员住院了) unless qualified (只有1名正式党员)."""
    if REQUIREMENT.search(lead) or _NARRATIVE.search(clause_at(scan.text, m.start())):
        return False
    value = number_at(scan.text, m["n"], m.end("n"))
    return value is not None and (value != 1 or not number_first or bool(_ONLY.search(lead)))


def extract_role_counts(scan: Scan) -> None:
    after, before, roles = _role_patterns(scan)
    if not roles:
        return
    for pattern in (after, before):
        number_first = pattern is after
        pos = 0
        # searched again after each mask: once 4个正式党员 is read, 3个预备党员 right after it is a match
        while (m := pattern.search(scan.text, pos)) is not None:
            pos = m.end()
            lead = scan.text[max(0, m.start() - 4) : m.start()]
            if not number_first:
                lead += m["fill"]
            if _role_count_ok(scan, m, lead, number_first):
                scan.put(roles[m["role"]], number_at(scan.text, m["n"], m.end("n")))
                scan.mask(m.start(), m.end())


def extract_counts(scan: Scan) -> None:
    extract_pattern_counts(scan)
    extract_role_counts(scan)
