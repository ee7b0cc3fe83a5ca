"""Greetings, thanks and "what can you do": short helpful replies instead of a knowledge lookup."""

from __future__ import annotations

import re

EXAMPLES = ("入党积极分子要培养多久才能列为发展对象？", "我们单位只有2名正式党员，能成立支部吗？",
            "税后月工资6000元，党费每月交多少？")

HELP_TEXT = (
    "我是支部助手，可以回答党支部工作的程序性问题，并帮您核对具体情况：\n"
    "· 入党程序：五个阶段二十五个步骤、各环节时限、介绍人、政审、预备期和转正\n"
    "· 组织设置：成立支部、总支、党委的人数要求，联合党支部，支委会\n"
    "· 组织生活：三会一课、主题党日、组织生活会、民主评议\n"
    "· 换届选举、党费计算、组织关系转接、失联党员和三必访等基层做法\n"
    "直接用一句话提问即可，例如：\n" + "\n".join(f"· {q}" for q in EXAMPLES) +
    "\n也可以描述具体情况（人数、日期、收入），我会给出判断、依据和下一步。"
)

_PATTERNS = (
    ("greeting", re.compile(r"^(你好|您好|hi|hello|hey|嗨|哈喽|哈啰|早上好|上午好|中午好|下午好|晚上好|早安|晚安|在吗|在不在|有人吗|支部助手)[啊呀呢吗哈!]*$")),
    ("thanks", re.compile(r"^(好的)?(谢谢|多谢|感谢|谢啦|谢了|thx|thanks|thank you|辛苦了|明白了|知道了|收到|好的)(你|您|啦|了|哈)*$")),
    ("help", re.compile(r"^(你能做什么|你会什么|你能干什么|你能干啥|你会干啥|你是谁|你是什么|怎么用|如何使用|使用说明|能问什么|可以问什么|都能问啥|帮助|help|功能|菜单|start)[啊呀呢吗]*$")),
    ("bye", re.compile(r"^(再见|拜拜|bye|回头见|下次见)[啊呀了]*$")),
)

REPLIES = {
    "greeting": "您好！我是支部助手。请直接提问党支部工作的程序性问题，比如“预备期从哪天算”。输入“帮助”查看我能回答什么。",
    "thanks": "不客气！还有其他党务问题随时问我。",
    "help": HELP_TEXT,
    "bye": "再见！需要时随时找我。",
}

EMPTY_PROMPT = "请输入您的问题，例如：“入党要几个介绍人？”输入“帮助”查看我能回答什么。"


def smalltalk_kind(normalized: str) -> str | None:
    """The kind of small talk a whole (normalized) message is, if it is small talk."""
    compact = normalized.replace(" ", "")
    if len(compact) > 12:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.match(compact):
            return kind
    return None
