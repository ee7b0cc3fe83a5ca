"""Shared pieces of the fact extractor: normalization, the scan state, numbers and clauses.

Pure module: no I/O. The scan keeps a working copy of the text in which every span already
turned into a fact is masked, so later, looser patterns cannot read the same words twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from common.numerals import numerals_to_digits, parse_number
from rules.vocab import CN_DIGITS, GRAMMAR, Vocabulary

MASK = "□"
NUM = GRAMMAR["NUM"]  # a number as written: Arabic (with 万/亿) or a run of Chinese numerals
FILLER = GRAMMAR["FILLER"]  # words between a keyword and its number: 只有2名, 为20人, 正好5000

# Clause boundaries; a dot only counts when it is not inside a number or a dotted date.
_CLAUSE_END = re.compile(r"[,;!?。，；！？、\n]|(?<!\d)\.|\.(?!\d)")

# Characters that may follow a Chinese numeral for it to be read as a quantity.
_CN_FOLLOWERS = set("票人名个位元块实应赞同反弃到左上多") | {MASK}


@dataclass
class Scan:
    """The state of one extraction: masked working text, facts found, problems found."""

    text: str
    today: date
    vocab: Vocabulary
    facts: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    written: dict[str, str] = field(default_factory=dict)  # date fact -> the date as written (2025年12月)

    def mask(self, start: int, end: int) -> None:
        """Blank out a consumed span (same length, so other positions stay valid)."""
        self.text = self.text[:start] + MASK * (end - start) + self.text[end:]

    def put(self, name: str, value: object) -> None:
        """Record a fact; the first value found wins."""
        self.facts.setdefault(name, value)

    def problem(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)


# Digits with 千 or 百 (8千, 1.5千, 8千5, 3百), or 万 and a digit (1万2 = 12000): common.numerals leaves mixed
# forms alone; k and w as typed on a phone (8k, 1.5w).
_MIXED = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(千|百|k|w)(?:(\d)(?![\d.]))?(?![a-z])")
_WAN_DIGIT = re.compile(r"(?<![\d.])(\d+)万(\d)(?![\d.万千百])")
# Thousands separators before 元 or the end of a clause: 3,500, 4，800元 (not 3,200人: a list).
_GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:[,，]\d{3})+(?=\s*(?:元|块|$|[,，。;；?？!！\s]))")
# An exact amount: 5000块整 (read as the number).
_EXACT = re.compile(r"(?<=\d)(?:块钱|元|块)?整")
# Approximate or exact markers around an amount: 5000块整, 8000左右, 5000多, 三千出头 (read as the number; the
# pipeline asks for the exact figure when the approximation could change the verdict: approximate_money()).
_LAST_FIGURE = r"[\d零〇一二两三四五六七八九十百千万]"  # the last character of an amount's figure
_CURRENCY = r"(?:块钱|元|块)?"
_ABOVE_MARK = "多块|多元|出头|余元|余|多"  # a little more than the figure
_ABOUT_MARK = "左右|上下|来块"  # either side of it
_NOT_A_SPAN = r"(?![\d个月年天周名位人])"  # 5个多月, 40多人 are spans and counts, not amounts
_AROUND = re.compile(rf"(?<={_LAST_FIGURE}){_CURRENCY}(?:整|{_ABOUT_MARK}|{_ABOVE_MARK}){_NOT_A_SPAN}")
_ABOVE = re.compile(rf"{_LAST_FIGURE}{_CURRENCY}(?:{_ABOVE_MARK}){_NOT_A_SPAN}")
_ABOUT = re.compile(
    rf"{_LAST_FIGURE}{_CURRENCY}(?:{_ABOUT_MARK})|(?:大约|大概|约|差不多|将近|接近|快)\s*\d+(?:\.\d+)?\s*(?:元|块)"
)
# A count or span said to be near a figure (近五十名, 快两个月, 快半年) is just below it: read as one less (49, 1, 5
# months), which keeps every threshold at or below it right (最近3个月 is a time, not an estimate).
_NEAR = re.compile(r"(?:将近|接近|快要|快|(?<![最附])近)\s*(\d+)\s*(个多月|个月|年|名|个|位|人)")
_NEAR_HALF_YEAR = re.compile(r"(?:将近|接近|快要|快|(?<![最附])近|小)半年")
# About a figure (约50人, 50人上下, 差不多半年, 6个月左右): read as the figure; the pipeline asks when either side
# changes the verdict.
_ABOUT_FIGURE = re.compile(
    r"(?:大约|大概|约|差不多)\s*(?:(\d+)\s*(?:名|个(?!多)|位|人|个月)|(半年))"
    r"|(?<![\d.])(\d+)\s*(?:名|个(?!多)|位|人|个月)(?:党员|正式党员|预备党员)?(?:左右|上下)|(半年)(?:左右|上下)"
)


def _near(m: re.Match[str]) -> str:
    if m[2] == "年":  # 快一年: 11 months
        return f"{int(m[1]) * 12 - 1}个月"
    below = int(m[1]) - 1
    return f"{below}{m[2]}" if below > 0 else "若干"


# 还差1个月就满6个月 is 5 months; in 不是6个月，是3个月 the figure said is the second one.
_SHORT_OF = re.compile(r"(?:还)?差\s*(\d+)\s*个月\s*(?:就)?\s*(?:满|到)\s*(\d+)\s*个月")
_NOT_BUT = re.compile(r"不是([^,;。；]*?),\s*(?:而)?是")
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:个多月|个月|年|名|个|位|人|元|块)?")
# 3、4月份, 11-12月: one span of months, not two clauses or a dotted date
_MONTH_SPAN = re.compile(r"(?<![\d.])(\d{1,2})[、~-](\d{1,2})\s*月")
# 去年七一, 2024年国庆, 今年元旦: the day is named
_FEAST = {"七一": "7月1日", "国庆": "10月1日", "元旦": "1月1日"}
_FEAST_DAY = re.compile(r"((?:大前年|前年|去年|今年|\d{4}年)的?)(七一|国庆节?|元旦)")
# 7名党员其中2名是预备党员: the part is a count of that kind (not 介绍人其中1个是预备党员: who the sponsor is)
_PART_OF_MEMBERS = re.compile(
    r"(\d+\s*(?:名|个|位)?党员\s*,?\s*其中)\s*(\d+)\s*(?:名|个|位|人)?\s*(?:是|为)\s*(预备党员|正式党员)"
)
# N年(零)M个月 is one span: 一年零三个月 = 15个月.
_YEARS_MONTHS = re.compile(r"(?<![\d.])(\d+)\s*年\s*零?\s*(\d+)\s*个月")
# A yearly income (年收入12万, 一年工资10万) is not the monthly figure dues are computed from.
_YEARLY = re.compile(
    rf"(?:年收入|年薪|[一1]年(?:的)?(?:工资|收入)|全年(?:工资|收入))\s*(?:是|有|为|大概|约)?\s*{NUM}(?:元|块)?"
)
# Someone else's income beside the member's own (爱人退休金3000，我工资6000): dues use the member's.
_RELATIVE = "爱人|老伴|妻子|丈夫|老公|老婆|媳妇|配偶|对象|孩子|儿子|女儿|我爸|我妈|父亲|母亲|父母"
_INCOME_WORD = r"(?:每月|每个月)?(?:退休金|养老金|退休费|退休工资|工资|收入|月薪)"
_OTHERS_INCOME = re.compile(rf"({_RELATIVE})(?:的)?{_INCOME_WORD}\s*(?:是|有|为)?\s*{NUM}(?:元|块)?")
_OWN_INCOME = re.compile(
    rf"(?<![{_RELATIVE.replace('|', '')}])(?:我|我自己|本人)(?:的)?{_INCOME_WORD}\s*(?:是|有|为)?\s*{NUM}(?:元|块)?"
)
_ASKS_FOR_RELATIVE = re.compile(rf"(?:{_RELATIVE})(?:的)?(?:每月)?(?:党费|该交|要交|交多少)")
_INCOME = re.compile(rf"(?:退休金|养老金|退休费|工资|收入|月薪)\s*(?:是|有|为)?\s*{NUM}")
# Before and after tax in one message: dues are computed from the after-tax figure.
_PRE_TAX = re.compile(rf"税前(?:工资|收入|月薪|月收入)?\s*(?:是|为|有)?\s*{NUM}(?:元|块)?")


def _mixed(m: re.Match[str]) -> str:
    scale = {"千": 1000, "k": 1000, "百": 100, "w": 10_000}[m[2]]
    value = float(m[1]) * scale + (int(m[3]) * scale // 10 if m[3] else 0)
    return str(int(value)) if value.is_integer() else str(value)


def _with_digits(text: str) -> str:
    """NFKC (full-width digits), lower-case, quantity numerals as digits, 3,500 as 3500, 1万2 as 12000, 8千/8k as
    8000: the figures of a message as normalize() and the approximation readers below see them."""
    text = numerals_to_digits(unicodedata.normalize("NFKC", text).lower())
    text = _GROUPED.sub(lambda m: re.sub("[,，]", "", m[0]), text)
    text = _WAN_DIGIT.sub(lambda m: str(int(m[1]) * 10_000 + int(m[2]) * 1000), text)
    return _MIXED.sub(_mixed, text)


def normalize(text: str) -> str:
    """_with_digits(), then N年M个月 as months, approximate markers dropped (5000多 -> 5000); near figures (快半年,
    近五十名), yearly incomes and a before-tax figure beside an after-tax one become 若干 (no figure: the check
    asks); idempotent."""
    text = _with_digits(text)
    text = _YEARS_MONTHS.sub(lambda m: f"{int(m[1]) * 12 + int(m[2])}个月", text)
    text = _MONTH_SPAN.sub(r"\1至\2月", text)
    text = _FEAST_DAY.sub(lambda m: m[1] + _FEAST[m[2][:2]], text)
    text = _PART_OF_MEMBERS.sub(r"\1\2名\3", text)
    text = _SHORT_OF.sub(lambda m: f"{max(int(m[2]) - int(m[1]), 0)}个月", text)
    text = _NOT_BUT.sub(lambda m: "不是" + _FIGURE.sub("若干", m[1]) + ",是", text)
    text = _EXACT.sub("", text)
    text = _NEAR_HALF_YEAR.sub("5个月", _NEAR.sub(_near, text)).replace("差不多", "约")
    text = _YEARLY.sub("年收入若干", text)
    # two incomes: the one of whoever the dues question is about (我爱人党费交多少: the spouse's)
    drop = _OWN_INCOME if _ASKS_FOR_RELATIVE.search(text) else _OTHERS_INCOME
    kept = drop.sub("若干", text)
    if kept != text and _INCOME.search(kept):
        text = kept
    if "税后" in text and _PRE_TAX.search(text):
        text = re.sub(r"税后(?=\s*\d)", "税后收入", _PRE_TAX.sub("税前若干", text))
    return _AROUND.sub("", text)


def approximate_money(text: str) -> str | None:
    """How an amount in the message is approximate: "above" (5000多, 三千出头: a little more), "about" (8000左右,
    约5000元: either side), or None (exact, or no amount)."""
    text = _with_digits(text)
    return "above" if _ABOVE.search(text) else "about" if _ABOUT.search(text) else None


_CN = "零〇一二两三四五六七八九十百千万"
_RANGE = re.compile(
    rf"(?<![\d.])(\d+(?:\.\d+)?|[{_CN}]+)\s*(?:个月|名|个|位|人|元|块)?\s*(?:-|~|—|到|至|、)\s*"
    rf"(\d+(?:\.\d+)?|[{_CN}]+|半年)\s*(?=个月|名|个|位|人|元|块|之间|[,。?？]|$|没|未|不)"
)


def range_figures(text: str) -> tuple[float, float] | None:
    """The two ends of a range a message gives for one figure (2-3名, 5到7个月, 两千五到三千五, 3个月到半年), or None."""
    m = _RANGE.search(_with_digits(text))
    if m is None:
        return None
    low, high = to_number(m[1]), 6 if m[2] == "半年" else to_number(m[2])
    return (low, high) if low is not None and high is not None and low < high else None


def approximate_count(text: str) -> int | None:
    """The count or number of months a message gives only as about (约50人, 50人上下, 差不多半年), or None."""
    m = _ABOUT_FIGURE.search(_with_digits(text))
    if m is None:
        return None
    figure = next(g for g in m.groups() if g)
    return 6 if figure == "半年" else int(figure)


def to_number(raw: str) -> int | float | None:
    """'20' -> 20, '-2' -> -2, '负3' -> -3, '1.2万' -> 12000, '10亿' -> 1e9, '四千五' -> 4500."""
    sign = -1 if raw.startswith(("-", "负")) else 1
    body = raw.lstrip("-负")
    if body.endswith("亿") and re.fullmatch(r"\d+(?:\.\d+)?亿", body):
        value: float | None = float(body[:-1]) * 100_000_000
    else:
        value = parse_number(body)
    if value is None:
        return None
    value = value * sign
    return int(value) if float(value).is_integer() else value


def is_chinese_numeral(raw: str) -> bool:
    return bool(raw) and raw[0] in CN_DIGITS


def number_at(text: str, raw: str, end: int, least: float | None = None) -> int | float | None:
    """Parse a matched number; a Chinese numeral only counts when what follows fits a quantity
    (so 同意一下 is not a number), or, given `least`, when it is at least that big (工资四千五交多少)."""
    if is_chinese_numeral(raw) and least is not None:
        value = to_number(raw)
        return value if value is not None and value >= least else None
    if is_chinese_numeral(raw):
        following = text[end : end + 1]
        if following and following not in _CN_FOLLOWERS and not _CLAUSE_END.match(following):
            return None
    return to_number(raw)


def clause_bounds(text: str, pos: int) -> tuple[int, int]:
    """The clause (between punctuation marks) around a position."""
    start = 0
    for match in _CLAUSE_END.finditer(text, 0, pos):
        start = match.end()
    end_match = _CLAUSE_END.search(text, pos)
    return start, (end_match.start() if end_match else len(text))


def clause_at(text: str, pos: int) -> str:
    start, end = clause_bounds(text, pos)
    return text[start:end]


def nearest_keyword(
    text: str, span: tuple[int, int], window: tuple[int, int], keywords: list[tuple[str, re.Pattern[str]]]
) -> str | None:
    """The fact whose keyword is nearest to span inside window: the first keyword after the span
    wins (Chinese puts the time before the verb: 7个月没交党费), else the last one before it."""
    after = _closest(text, span[1], window[1], keywords, first=True)
    return after if after is not None else _closest(text, window[0], span[0], keywords, first=False)


def _closest(text: str, lo: int, hi: int, keywords: list[tuple[str, re.Pattern[str]]], first: bool) -> str | None:
    best: tuple[int, str] | None = None
    segment = text[lo:hi]
    for name, pattern in keywords:
        for match in pattern.finditer(segment):
            key = match.start() if first else -match.end()
            if best is None or key < best[0]:
                best = (key, name)
    return None if best is None else best[1]


def neighbour_window(spans: list[tuple[int, int]], index: int, clause: tuple[int, int]) -> tuple[int, int]:
    """The part of a clause between the previous and next token (date or duration) of the same kind."""
    lo, hi = clause
    if index > 0:
        lo = max(lo, spans[index - 1][1])
    if index + 1 < len(spans):
        hi = min(hi, spans[index + 1][0])
    return lo, hi
