"""The one fact validator: typing, ranges, dates and the cross-fact checks declared in the vocabulary.

Used by the free-text extractor, the engine and `bot.py evaluate`, so the same facts give the same
verdict (or the same refusal) everywhere. Messages are Chinese lines for the user.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from common.numerals import parse_number
from rules.vocab import Fact, Vocabulary

EARLIEST = dt.date(1921, 7, 1)
_TRUE = {"true", "yes", "y", "1", "是", "对", "有", "t"}
_FALSE = {"false", "no", "n", "0", "否", "不是", "没有", "无", "f"}
_DATE = re.compile(r"^\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})\s*日?\s*$")


def show_number(value: float) -> str:
    """4500.0 -> '4500', 1.5 -> '1.5'."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(int(value)) if float(value).is_integer() else f"{float(value):g}"


def show_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def coerce(fact: Fact, raw: object) -> object:
    """One raw value (text from the command line, YAML scalar, or extracted value) in its fact's type.

    Raises ValueError with a Chinese message."""
    label, kind = fact.label, fact.type
    if kind in ("int", "float"):
        value = raw
        if isinstance(raw, bool):
            raise ValueError(f"{label}应为数字，收到“{raw}”，请核对。")
        if isinstance(raw, str):
            text = raw.strip().replace(",", "")
            sign = -1 if text.startswith(("-", "负")) else 1
            number = parse_number(text.lstrip("-负"))
            if number is None:
                raise ValueError(f"{label}应为数字，收到“{raw}”，请核对。")
            value = sign * number
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{label}应为数字，收到“{raw}”，请核对。")
        if kind == "int":
            if not float(value).is_integer():
                raise ValueError(f"{label}应为整数（{show_number(value)}），请核对。")
            return int(value)
        return float(value)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{label}应为“是”或“否”，收到“{raw}”，请核对。")
    if kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        m = _DATE.match(str(raw))
        if not m:
            raise ValueError(f"{label}应为日期（如 2025-03-01），收到“{raw}”，请核对。")
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(f"{label}“{raw}”不是有效日期，请核对。") from None
    text = str(raw).strip()
    if text not in fact.choices:
        raise ValueError(f"{label}应为{'、'.join(fact.choices)}之一，收到“{raw}”，请核对。")
    return text


def range_problem(fact: Fact, value: object) -> str | None:
    """Why a numeric value does not fit its fact, or None."""
    if fact.type not in ("int", "float") or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    shown = show_number(value)
    if fact.type == "int" and not float(value).is_integer():
        return f"{fact.label}应为整数（{shown}），请核对。"
    if fact.minimum is not None and value < fact.minimum:
        return (
            f"{fact.label}不能是负数（{shown}），请核对。"
            if fact.minimum == 0
            else f"{fact.label}不能小于 {show_number(fact.minimum)}{fact.unit}（{shown}），请核对。"
        )
    if fact.maximum is not None and value > fact.maximum:
        unit = f" {fact.unit}" if fact.unit else ""
        return f"{fact.label} {shown}{unit}超出合理范围（最多 {show_number(fact.maximum)}{unit}），请核对。"
    return None


def date_problem(fact: Fact, value: object, today: dt.date) -> str | None:
    if fact.type != "date" or not isinstance(value, dt.date):
        return None
    if value > today:
        return f"{fact.label}（{show_date(value)}）晚于今天（{show_date(today)}），请核对日期。"
    if value < EARLIEST:
        return f"{fact.label}（{show_date(value)}）早于建党时间，请核对日期。"
    return None


def _shown(value: object) -> str:
    return show_date(value) if isinstance(value, dt.date) else show_number(value)


def cross_problems(vocab: Vocabulary, facts: dict) -> list[str]:
    """The declared cross-fact checks that fail. A check is skipped once one of its facts failed an
    earlier one (so one wrong figure gives one message)."""
    out: list[str] = []
    failed: set[str] = set()
    for check in vocab.checks:
        if any(name not in facts for name in check.names) or (failed and failed & set(check.names)):
            continue
        if check.when is not None:
            (a, value), (b, values) = check.when, check.forbid
            if facts.get(a, object()) == value and facts.get(b) in values:
                out.append(check.message.format(value=facts[b]))
                failed.update(check.names)
            continue
        if check.unless and check.unless in facts:
            continue
        parts = [facts[name] for name in check.facts]
        other = facts[check.other]
        if len(parts) == 1:
            total = parts[0]
        elif all(isinstance(p, (int, float)) for p in parts):
            total = sum(parts)
        else:
            continue
        try:
            bad = {"at_most": total > other, "at_least": total < other, "equals": total != other}[check.op]
        except TypeError:
            continue
        if bad:
            out.append(check.message.format(a=_shown(total), b=_shown(other)))
            failed.update(check.names)
    return out


def validate(vocab: Vocabulary, facts: dict, today: dt.date) -> tuple[dict, list[str]]:
    """(typed facts, problems). Unknown names, mistyped, out-of-range and impossible values are dropped
    and reported; contradictions between facts are reported (no verdict while there are problems)."""
    typed: dict = {}
    problems: list[str] = []
    for name, raw in facts.items():
        if raw is None:
            continue
        fact = vocab.facts.get(name)
        if fact is None:
            problems.append(f"未知的事实名：{name} / unknown fact name: {name}")
            continue
        try:
            value = coerce(fact, raw)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        problem = range_problem(fact, value) or date_problem(fact, value, today)
        if problem:
            problems.append(problem)
        else:
            typed[name] = value
    if not problems:
        problems.extend(cross_problems(vocab, typed))
    return typed, problems
