"""Chinese numerals: parse them and rewrite quantities as Arabic digits.

Only numerals that stand for a quantity are rewritten (followed by a unit such as 名, 个月, 岁, or
preceded by 第), so fixed terms like 三会一课 or 两委 keep their characters.
"""

from __future__ import annotations

import re

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)

# Units after which a numeral is a quantity. Longer units first.
UNITS = (
    "周岁",
    "个月",
    "学时",
    "课时",
    "小时",
    "分钟",
    "星期",
    "年",
    "月",
    "日",
    "号",
    "天",
    "周",
    "个",
    "名",
    "位",
    "人",
    "岁",
    "次",
    "票",
    "元",
    "块",
    "届",
    "户",
    "家",
    "份",
    "张",
    "条",
    "项",
    "页",
    "倍",
    "%",
    "成",
)

_RUN = re.compile(f"[{NUMERAL_CHARS}]+")
_PERCENT = re.compile(f"百分之(?:([{NUMERAL_CHARS}]+)(?:点([{''.join(DIGITS)}]+))?|(\\d+(?:\\.\\d+)?))")
_ORDINAL = re.compile(f"第([{NUMERAL_CHARS}]+)")
_DIGIT_RUN = re.compile(r"\d+(?:\.\d+)?")


def is_estimate(text: str) -> bool:
    """Two neighbouring digits, the smaller first, give an estimate, not a number: 两三个 is two or three (not 23),
    五六个月 five or six months, 三四十人 thirty or forty people, 五十一二个 fifty-one or fifty-two."""

    def neighbours(pair: str) -> bool:
        a, b = DIGITS.get(pair[0]), DIGITS.get(pair[1])
        return a is not None and b is not None and 0 < a and (b == a + 1 or (a, b) == (3, 5))  # 三五个: 3 to 5

    if len(text) >= 3 and (text[-3] in SMALL_UNITS or text[-3] in BIG_UNITS) and neighbours(text[-2:]):
        return True  # 十七八个, 五十一二个: seventeen or eighteen, fifty-one or fifty-two
    if len(text) not in (2, 3) or (len(text) == 3 and text[2] not in SMALL_UNITS and text[2] not in BIG_UNITS):
        return False  # 二〇二三 is a year, read digit by digit
    return neighbours(text[:2])


def parse_cn_number(text: str) -> int | None:
    """Parse a Chinese numeral ('一百二十' -> 120, '两' -> 2, '二〇二五' -> 2025); None if it is not one, or if it is
    an estimate (is_estimate: 两三, 五六)."""
    if not text or any(ch not in NUMERAL_CHARS for ch in text) or is_estimate(text):
        return None
    if all(ch in DIGITS for ch in text) and len(text) > 1:
        # Digit-by-digit reading, as in years: 二〇二五.
        return int("".join(str(DIGITS[ch]) for ch in text))
    total, section, digit, last_unit, zero_seen = 0, 0, None, 0, False
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
            zero_seen = zero_seen or digit == 0
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit, last_unit, zero_seen = None, SMALL_UNITS[ch], False
        else:  # big unit closes a section
            section += digit or 0
            if section == 0:
                return None
            total += section * BIG_UNITS[ch]
            section, digit, last_unit, zero_seen = 0, None, BIG_UNITS[ch], False
    if digit and last_unit >= 100 and not zero_seen:
        digit *= last_unit // 10  # colloquial 四千五 = 4500, 一万五 = 15000
    return total + section + (digit or 0)


def parse_number(text: str) -> float | None:
    """Parse Arabic or Chinese numerals, with an optional 万 suffix ('1.2万' -> 12000)."""
    text = text.strip()
    scale = 1
    if len(text) > 1 and text.endswith("万") and _DIGIT_RUN.fullmatch(text[:-1]):
        text, scale = text[:-1], 10_000
    if _DIGIT_RUN.fullmatch(text):
        value = float(text) * scale
        return int(value) if value.is_integer() else value
    parsed = parse_cn_number(text)
    return None if parsed is None else parsed * scale


def _digits(run: str) -> str:
    value = parse_cn_number(run)
    return run if value is None else str(value)


def _rewrite_run(match: re.Match[str]) -> str:
    run = match.group(0)
    rest = match.string[match.end() :]
    before = match.string[: match.start()]
    if run == "俩":
        return "2个" if not rest.startswith(("个", "人", "名")) else "2"
    if before.endswith("第") or rest.startswith(UNITS):
        # 一年半 -> 1年半; 十几 is left alone (no unit straight after it).
        return _digits(run)
    if rest.startswith("多") and rest[1:].startswith(UNITS) and any(ch in SMALL_UNITS or ch in BIG_UNITS for ch in run):
        return _digits(run)  # 五百多人 -> 500多人, 二十多年 -> 20多年 (一多 is not a numeral phrase)
    return run


def _percent(match: re.Match[str]) -> str:
    """百分之五十 -> 50%, 百分之零点五 -> 0.5% (the decimals read digit by digit), 百分之1.5 -> 1.5%."""
    whole, decimals, arabic = match.groups()
    if arabic:
        return f"{arabic}%"
    if decimals is None:
        return f"{_digits(whole)}%"
    value = parse_cn_number(whole)
    if value is None:
        return match.group(0)
    return f"{value}.{''.join(str(DIGITS[ch]) for ch in decimals)}%"


def numerals_to_digits(text: str) -> str:
    """Rewrite quantity numerals as digits: '两名正式党员' -> '2名正式党员', '百分之五十' -> '50%'."""
    text = _PERCENT.sub(_percent, text)
    return _RUN.sub(_rewrite_run, text)
