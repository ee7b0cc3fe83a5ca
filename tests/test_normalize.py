"""Normalization tables: the same function runs on questions and on entries."""

import pytest

from common.numerals import numerals_to_digits, parse_cn_number, parse_number
from knowledge.normalize import detect_script, normalize_text, to_traditional


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("預備期從哪天算？", "预备期从哪天算"),
        ("積極分子要幾個培養聯繫人", "积极分子要几个培养联系人"),
        ("ＡＢＣ１２３", "abc123"),  # full-width to half-width
        ("我们单位只有２名正式党员，能成立支部吗😀", "我们单位只有2名正式党员 能成立支部吗"),
        ("<b>入党</b> 年龄!!", "入党 年龄"),
        ("<script>alert(1)</script>入党", "alert 1 入党"),
        ("入党\x00\x07年龄\t\n", "入党 年龄"),  # control characters separate
        ("  ", ""),
        ("😀🎉", ""),
        ("两名正式党员", "2名正式党员"),
        ("一年半", "1年半"),
        ("三会一课", "三会一课"),  # a fixed term, not a quantity
        ("党费交3.5%吗", "党费交3.5%吗"),
        ("第二十一条", "第21条"),
        ("黨費怎麼交", "党费怎么交"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "text, value",
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十五", 25),
        ("一百二十", 120),
        ("一百零五", 105),
        ("两千", 2000),
        ("四千五", 4500),
        ("一万五", 15000),
        ("一万五千", 15000),
        ("二〇二五", 2025),
        ("两", 2),
        ("俩", 2),
        ("三万", 30000),
        ("abc", None),
        ("", None),
    ],
)
def test_parse_cn_number(text, value):
    assert parse_cn_number(text) == value


@pytest.mark.parametrize("text, value", [("4500", 4500), ("1.2万", 12000), ("3.5", 3.5), ("十二", 12), ("x", None)])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("两名正式党员", "2名正式党员"),
        ("一百二十人", "120人"),
        ("十二个月", "12个月"),
        ("二〇二五年三月一日", "2025年3月1日"),
        ("去年三月", "去年3月"),
        ("俩党员", "2个党员"),
        ("百分之五十", "50%"),
        ("百分之零点五", "0.5%"),  # was 0%点五
        ("五六个月", "五六个月"),  # an estimate (5 or 6), not 56
        ("两三个正式党员", "两三个正式党员"),
        ("十七八个人", "十七八个人"),  # seventeen or eighteen
        ("五十一二个党员", "五十一二个党员"),
        ("二〇二三年", "2023年"),  # a year is still read digit by digit
        ("百分之一点五", "1.5%"),
        ("百分之1.5", "1.5%"),
        ("十几个人", "十几个人"),
        ("两委", "两委"),
        ("半年", "半年"),
        ("五百多人", "500多人"),
        ("二十多年", "20多年"),
        ("一多人", "一多人"),  # 多 between a round numeral and its unit
    ],
)
def test_numerals_to_digits(raw, expected):
    assert numerals_to_digits(raw) == expected


@pytest.mark.parametrize(
    "text, script",
    [
        ("預備期從哪天算", "traditional"),
        ("预备期从哪天算", "simplified"),
        ("黨費怎麼交", "traditional"),
        ("入党", "simplified"),
        ("hello", "simplified"),
        ("入黨申請書", "traditional"),
    ],
)
def test_detect_script(text, script):
    assert detect_script(text) == script


def test_to_traditional_phrase_level():
    assert to_traditional("党支部委员会每月召开1次") == "黨支部委員會每月召開1次"
