"""What a question asks (its aspect), read from its interrogative form, and which entry aspects answer it.

Nine aspects: how_long, how_many, who, when, whether, how_to, materials, consequence, what_is. A question
may show several (「多久能转正，要什么材料」); a question with no interrogative form shows none. An entry's
aspects are declared in its YAML (`aspects:`) or, when absent, are the union of the aspects of its title
and example questions: the forms its author expected it to be asked in.

An entry is ruled out only when the question asks something *specific* (how long, when, how many, who,
what materials) that the entry answers in no compatible form: 「预备期多长」 is not answered by an entry
about who approves. The open forms (whether, how to, what is, what happens) are read by almost any entry
(「能不能…」 is answered by a rule entry of any aspect), so they never rule an entry out on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ASPECTS = (
    "how_long",
    "how_often",
    "how_many",
    "who",
    "when",
    "whether",
    "how_to",
    "materials",
    "consequence",
    "what_is",
    "difference",
    "where",
)

# Patterns on normalized (simplified, lower-case, digits for numerals) text. Order does not matter: a
# question gets every aspect whose pattern it contains.
PATTERNS: dict[str, str] = {
    "how_long": r"多长时间|多长|多久|期限|时限|几个月|几年|几天|几周|多少天|多少年|多少个月|任期|有效期|时间内|几届",
    "when": r"什么情况|什么条件|哪些情况|什么时候|啥时候|何时|哪天|哪一天|几号|什么时间|几月|哪年|从何|起算|开始算|之前|之后多",
    "how_many": r"什么情况|什么条件|哪些情况|满足什么|几名|几个|几位|多少|几人|比例|标准|几次|几种|几项|几档|多大|几岁|百分|几分之|几票|过半|半数|多少钱|几成|(多久|多长时间|多长).{0,8}1次",
    "who": r"谁|哪个党组织|哪一级|哪级|哪个部门|哪个单位|什么人|哪些人|什么样的人|哪个组织|向哪|交给哪|在哪里申请",
    "whether": r"能不能|可不可以|可以吗|能否|是否|要不要|需不需要|算不算|有没有|会不会|行不行|允许|可否|能吗|吗$|(?<![什怎])么$",
    "how_to": r"怎么(?!样)|如何|咋|(?<!会)怎样|流程|程序|步骤|办理|手续|该干啥|要干啥|做哪些|写$|填$",
    "materials": r"材料|哪些表|什么表|准备什么|带什么|带哪些|档案|证明|文件|志愿书",
    "consequence": r"会怎样|会怎么样|后果|怎么处理|如何处理|受什么|处分|影响|会被|处置|怎么办(?!理)",
    "what_is": r"是什么|什么意思|啥意思|有哪些|有什么|包括|区别|指什么|含义|哪几|什么是|哪些",
    "difference": r"区别|区分|不同|差别|异同|一样吗|一回事|差异",
    "where": r"在哪|去哪|到哪|哪里|哪儿|什么地方|什么场所|哪个地方",
    "how_often": r"(多久|多长时间|多长|隔多久|几个月|几年|每年|每月|每季度?|1年|1个月).{0,6}(1|几|多少)次|频次|频率",
}
# An entry gives a frequency (and so can answer 「多久开一次」) when its text says how often: 每月, 每季度,
# 一年两次, 至少一次, 按月. Read from the whole entry, answer included, whatever aspects it declares.
FREQUENCY_GIVEN = re.compile(
    r"每(个|1)?(月|季|季度|年|半年|周|星期|届|学期)|(年|月|季度|季|周|学期).{0,4}(1|2|3|4|5|6|几|两|多)次|"
    r"按(月|季|季度|年)|逐月|至少(1|2|3|几|两)次|定期"
)
_COMPILED = {name: re.compile(pattern, re.MULTILINE) for name, pattern in PATTERNS.items()}  # $: end of a line

# Specific aspects and the entry aspects that can answer them. A question showing only open aspects (or
# none) is never ruled out by aspect.
COMPATIBLE: dict[str, frozenset[str]] = {
    "how_long": frozenset({"how_long", "when"}),
    "when": frozenset({"when", "how_long"}),
    "how_many": frozenset({"how_many", "what_is", "how_long"}),
    "who": frozenset({"who", "how_to"}),
    "materials": frozenset({"materials", "how_to", "what_is"}),
    "difference": frozenset({"difference"}),
    "where": frozenset({"where", "how_to", "who"}),
    "how_often": frozenset({"how_often"}),
}
# Specific aspects that no other shared form makes up for: 「多久开一次」 also shows how_long and how_many, but
# only an entry that gives a frequency answers it.
REQUIRED = frozenset({"how_often"})
# Aspects an entry shows by its title or example questions even when it declares others: an entry asked
# 「A和B有什么区别」 among its own questions does compare them, one asked 「多少钱以上算大额党费」 does give the
# figure (how_many: 11 more right answers, 1 more wrong one, on the development data; who and when traded
# about 1:1 and stay declared only).
SHOWN = frozenset({"difference", "where", "how_often", "how_many"})


# 几 after 好 or a number states a rough count (好几个党员, 十几年, 20几人): context, not a question
_STATED_COUNT = re.compile(r"(?<=[好0-9十百])几")


def classify(normalized: str) -> frozenset[str]:
    """The aspects a normalized question shows by its interrogative form (possibly none)."""
    normalized = _STATED_COUNT.sub("些", normalized)
    return frozenset(name for name, pattern in _COMPILED.items() if pattern.search(normalized))


def entry_aspects(declared: Iterable[str], normalized_forms: Iterable[str], text: str = "") -> frozenset[str]:
    """Declared aspects if any, else the union of the aspects of the entry's title and example questions; and
    how_often when the entry's whole text (answer included) gives a frequency."""
    declared = frozenset(declared)
    shown = classify("\n".join(normalized_forms))  # one pass over all forms: $ ends each line
    aspects = declared | (shown & SHOWN) if declared else shown
    return aspects | {"how_often"} if FREQUENCY_GIVEN.search(text) else aspects


def compatible(question: frozenset[str], entry: frozenset[str]) -> bool:
    """False only when the question asks something specific that the entry answers in no compatible form."""
    specific = [a for a in question if a in COMPATIBLE]
    if not specific or not entry:
        return True
    if required := question & REQUIRED:
        return required <= entry
    return any(COMPATIBLE[a] & entry for a in specific)
