"""Hypothesis strategies for what users may send: any Unicode, HTML and Markdown, numbers, both scripts,
huge and empty messages."""

from __future__ import annotations

from hypothesis import strategies as st

# Every plane, control characters included; surrogates cannot be encoded and never reach the bot.
ANY_CHAR = st.characters(codec="utf-8")

QUESTIONS = (
    "入党要几个介绍人",
    "预备期从哪天开始算",
    "党费怎么交",
    "支委会多久开一次",
    "三必访是什么",
    "我们公司只有2名正式党员，能单独成立支部吗",
    "税后月收入12000元，党费交多少",
    "2025年3月1日成为预备党员，何时转正",
    "積極分子要幾個培養聯繫人",
    "預備期從哪天算",
    "黨費按什麼比例交",
    "支部換屆選舉怎麼搞",
    "組織關係轉接要多久",
    "党员大会要多少人到会才有效",
    "主题党日每月几次",
    "今天天气怎么样",
    "工会会费怎么交",
    "入黨年齡",
)
TRADITIONAL = "黨員會議選舉組織關係轉問題預備幾個聯繫範圍檢查條例規範總支員會費積極發展對應當"
SIMPLIFIED = "党员会议选举组织关系转问题预备几个联系范围检查条例规范总支员会费积极发展对应当"

MARKUP = (
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<u>",
    "<s>",
    "<b>粗体</b>",
    "<script>alert(1)</script>",
    "<img src=x onerror=1>",
    '<a href="tg://user?id=1">点我</a>',
    "<pre>",
    "</pre>",
    "<code>",
    "<tg-spoiler>",
    "<blockquote>",
    "<!--",
    "-->",
    "<![CDATA[x]]>",
    "<",
    ">",
    "&",
    "&lt;",
    "&gt;",
    "&amp;",
    "&#60;",
    "&#x3C;",
    "&#0;",
    "&#1114112;",
    "&nbsp;",
    "<<>>",
    "</",
    "<b",
    "< b>",
    "<br/>",
    '"',
    "'",
    "**粗体**",
    "__斜体__",
    "`代码`",
    "```\n多行\n```",
    "[链接](http://example.invalid)",
    "~~删除~~",
    "||剧透||",
    "\\",
    "_",
    "*",
    "#",
    "> 引用",
    "- 列表",
    "1. ",
)
SPECIAL = (
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\ufffd",
    "\uffff",
    "\u3000",
    "\u00a0",
    "مرحبا بالعالم",
    "שלום",
    "ﷺ",
    "👍",
    "👨‍👩‍👧‍👦",
    "🇨🇳",
    "🏳️‍🌈",
    "🙏🏻",
    "𠀀𪚥𰻝",
    "\U000e0001",
    "\U0010fffd",
    "Ｆｕｌｌ",
    "①②③",
    "Ⅻ",
    "٣",
    "½",
    "̷̡̛̗̼z̸a̵l̶g̷o",
    "ÅÅ",
    "ﾊﾝｶｸ",
    "ㄅㄆㄇ",
    "한국어",
)
CN_NUMBERS = ("零", "一", "二", "两", "三", "十", "十二", "二十", "一百零五", "廿", "壹佰", "三千", "半", "几", "〇")
TEMPLATES = (
    "我们支部有{}名正式党员，能成立支部吗",
    "税后月收入{}元，党费交多少",
    "{}年{}月{}日成为预备党员，何时转正",
    "支部有{}名党员，{}人到会，表决有效吗",
    "{}岁能入党吗",
    "我们单位只有{}名正式党员",
    "离退休费{}元，每月党费多少",
    "预备期{}个月可以吗",
    "积极分子培养了{}个月",
    "{}名委员",
)

number = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.integers(0, 10**6).map(lambda n: f"{n:,}"),
    st.integers(0, 100).map(lambda n: f"{n}%"),
    st.integers(0, 100).map(lambda n: chr(0xFF10 + n % 10) * (1 + n % 3)),  # full-width digits
    st.sampled_from(CN_NUMBERS),
    st.sampled_from(("1e309", "-0", "0x1F", "NaN", "∞", "1/0", "3.", ".5", "٣٤", "१२")),
)

random_unicode = st.text(ANY_CHAR, max_size=300)
markup = st.lists(
    st.one_of(st.sampled_from(MARKUP), st.sampled_from(QUESTIONS), st.text(ANY_CHAR, max_size=8)), max_size=12
).map("".join)
numbers = st.one_of(
    st.builds(lambda t, ns: t.format(*ns), st.sampled_from(TEMPLATES), st.lists(number, min_size=3, max_size=3)),
    st.lists(number, min_size=1, max_size=6).map(" ".join),
)
mixed_scripts = st.lists(
    st.one_of(
        st.sampled_from(QUESTIONS),
        st.sampled_from(TRADITIONAL),
        st.sampled_from(SIMPLIFIED),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
        st.sampled_from("，。？！、：；“”（）《》 ?!,."),
    ),
    min_size=1,
    max_size=60,
).map("".join)
special = st.lists(st.one_of(st.sampled_from(SPECIAL), st.sampled_from(QUESTIONS)), min_size=1, max_size=10).map(
    "".join
)
# Hypothesis caps how much it draws per example, so huge messages repeat a drawn piece up to a drawn length.
huge = st.builds(
    lambda piece, n: (piece * (n // len(piece) + 1))[:n],
    st.one_of(st.text(ANY_CHAR, min_size=1, max_size=40), st.sampled_from(QUESTIONS + MARKUP + SPECIAL)),
    st.integers(1000, 10_000),
)
empty = st.sampled_from(("", " ", "   ", "\n", "\n\n", "\t", "\r\n", "\u3000", "\u200b", "\ufeff", "\x00", " \t\n "))

#: What any user may send.
MESSAGES = st.one_of(random_unicode, markup, numbers, mixed_scripts, special, huge, empty)
