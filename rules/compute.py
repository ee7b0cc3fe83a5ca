"""Computed values and fact typing: code-owned operators, exact arithmetic, absurd-fact checks.

Numbers are computed as exact fractions (5 × 1.2 is exactly 6, so rounding up gives 6, not 7);
dates stay `datetime.date` here and become ordinal integers only for the engine.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from fractions import Fraction

from rules.policy import TODAY, Expr, InvalidFacts, Policy, Ref
from rules.vocabulary import FACTS

# Code-owned computed operators: name -> (argument types, result type). "number" args accept facts of
# type int/float, numeric literals and numeric computed values; "date" args accept date facts, date
# literals, date computed values and `today`.
OPERATORS: dict[str, tuple[tuple[str, ...], str]] = {
    "add_days": (("date", "number"), "date"),
    "add_months": (("date", "number"), "date"),
    "add_years": (("date", "number"), "date"),
    "days_between": (("date", "date"), "number"),
    "months_between": (("date", "date"), "number"),
    "add": (("number", "number"), "number"),
    "sub": (("number", "number"), "number"),
    "mul": (("number", "number"), "number"),
    "div": (("number", "number"), "number"),
    "ratio": (("number", "number"), "number"),
    "percent": (("number", "number"), "number"),
    "ceil": (("number",), "number"),
    "floor": (("number",), "number"),
    "half_plus_one": (("number",), "number"),
    "more_than": (("number",), "number"),
    "min": (("number", "number"), "number"),
    "max": (("number", "number"), "number"),
}
WHOLE_NUMBER_ARGS = {"add_days": 1, "add_months": 1, "add_years": 1}

EARLIEST = dt.date(1921, 7, 1)
_TRUE = {"true", "yes", "y", "1", "是", "对", "有"}
_FALSE = {"false", "no", "n", "0", "否", "不是", "没有", "无"}
_DATE_RE = re.compile(r"^\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})\s*日?\s*$")


class ComputeError(ArithmeticError):
    """A computed value could not be produced (division by zero, date out of range)."""


def value_type(fact_type: str) -> str:
    """Vocabulary type -> the coarse type used by operators: number, date, bool, choice."""
    return "number" if fact_type in ("int", "float") else fact_type


def fmt_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def fmt_number(x: object) -> str:
    """6 -> '6', 67.5 -> '67.5', Fraction(1, 3) -> '0.33'."""
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return str(x.numerator)
        x = float(x)
    if isinstance(x, float):
        if x.is_integer():
            return str(int(x))
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return str(x)


def fmt_value(x: object) -> str:
    if isinstance(x, dt.date):
        return fmt_date(x)
    return fmt_number(x)


# ---------------------------------------------------------------- facts in

def _coerce_one(name: str, raw: object) -> object:
    """Convert one raw value to the declared type; raise ValueError with a Chinese message."""
    fact = FACTS[name]
    label = fact.label
    if fact.type in ("int", "float"):
        if isinstance(raw, bool):
            raise ValueError(f"{label}应为数字，收到“{raw}”")
        if isinstance(raw, str):
            try:
                raw = float(raw.strip().replace(",", ""))
            except ValueError:
                raise ValueError(f"{label}应为数字，收到“{raw}”") from None
        if not isinstance(raw, (int, float)) or (isinstance(raw, float) and not math.isfinite(raw)):
            raise ValueError(f"{label}应为数字，收到“{raw}”")
        if fact.type == "int":
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError(f"{label}应为整数，收到“{fmt_number(raw)}”")
            return int(raw)
        return float(raw)
    if fact.type == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{label}应为“是”或“否”，收到“{raw}”")
    if fact.type == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        m = _DATE_RE.match(str(raw))
        if not m:
            raise ValueError(f"{label}应为日期（如 2025-03-01），收到“{raw}”")
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(f"{label}“{raw}”不是有效日期（{m[1]}年{int(m[2])}月没有{int(m[3])}日）") from None
    if fact.type == "choice":
        text = str(raw).strip()
        if text not in fact.choices:
            raise ValueError(f"{label}应为{'、'.join(fact.choices)}之一，收到“{raw}”")
        return text
    raise ValueError(f"{label}的类型 {fact.type} 未知")  # pragma: no cover - vocabulary bug


def _range_problems(name: str, value: object, today: dt.date) -> list[str]:
    fact = FACTS[name]
    if fact.type in ("int", "float"):
        unit = f" {fact.unit}" if fact.unit else ""
        shown = f"{fact.label} {fmt_number(value)}{unit}"
        if fact.minimum is not None and value < fact.minimum:
            return [f"{shown}：不能为负数" if fact.minimum == 0
                    else f"{shown}：不能小于 {fmt_number(fact.minimum)}{unit}"]
        if fact.maximum is not None and value > fact.maximum:
            return [f"{shown}：超出合理范围（最多 {fmt_number(fact.maximum)}{unit}），请核对"]
    if fact.type == "date":
        if value > today:
            return [f"{fact.label} {fmt_date(value)} 晚于今天（{fmt_date(today)}），请核对"]
        if value < EARLIEST:
            return [f"{fact.label} {fmt_date(value)} 早于1921年7月，请核对"]
    return []


def _consistency_problems(topic: str, f: dict) -> list[str]:
    out = []

    def both(a: str, b: str) -> bool:
        return a in f and b in f

    if both("present_voters", "expected_voters") and f["present_voters"] > f["expected_voters"]:
        out.append(f"实到会人数 {f['present_voters']} 人多于应到会人数 {f['expected_voters']} 人，请核对")
    if both("yes_votes", "expected_voters") and f["yes_votes"] > f["expected_voters"]:
        out.append(f"赞成票 {f['yes_votes']} 票多于应到会人数 {f['expected_voters']} 人，请核对")
    if topic == "election" and both("yes_votes", "present_voters") and f["yes_votes"] > f["present_voters"]:
        out.append(f"赞成票 {f['yes_votes']} 票多于实到会人数 {f['present_voters']} 人，请核对")
    if both("full_members", "members_total"):
        inside = f["full_members"] + f.get("probationary_members", 0)
        if inside > f["members_total"]:
            out.append(f"正式党员和预备党员共 {inside} 名，多于党员总数 {f['members_total']} 名，请核对")
    if both("application_date", "activist_since") and f["activist_since"] < f["application_date"]:
        out.append(f"确定为入党积极分子的日期 {fmt_date(f['activist_since'])} 早于递交申请书的日期 "
                   f"{fmt_date(f['application_date'])}，请核对")
    if both("retired", "member_kind"):
        if f["retired"] and f["member_kind"] in ("在职", "学生"):
            out.append(f"离退休党员与党员类别“{f['member_kind']}”矛盾，请核对")
        if not f["retired"] and f["member_kind"] == "离退休":
            out.append("党员类别为“离退休”，但又说不是离退休党员，请核对")
    return out


def coerce_facts(topic: str, facts: dict, today: dt.date) -> dict:
    """Type every fact per the vocabulary and reject absurd or contradictory ones (InvalidFacts)."""
    problems: list[str] = []
    typed: dict = {}
    for name, raw in facts.items():
        if raw is None:
            continue
        if name not in FACTS:
            problems.append(f"未知的事实“{name}”")
            continue
        try:
            value = _coerce_one(name, raw)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        found = _range_problems(name, value, today)
        problems.extend(found)
        if not found:
            typed[name] = value
    if not problems:
        problems.extend(_consistency_problems(topic, typed))
    if problems:
        raise InvalidFacts(problems)
    return typed


# ---------------------------------------------------------------- computed values

def _num(x: object) -> Fraction:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ComputeError(f"not a number: {x!r}")
    return Fraction(str(x)) if isinstance(x, float) else Fraction(x)


def _whole(x: object) -> int:
    n = _num(x)
    if n.denominator != 1:
        raise ComputeError(f"not a whole number: {fmt_number(n)}")
    return n.numerator


def add_months(d: dt.date, months: int) -> dt.date:
    """Calendar months; the day is clamped to the month's end (1月31日 + 1个月 = 2月28日)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ComputeError("date out of range")
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole calendar months from a to b (negative when b is earlier)."""
    if b < a:
        return -months_between(b, a)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if add_months(a, months) > b:
        months -= 1
    return months


def _round_cents(x: Fraction) -> Fraction:
    return Fraction(math.floor(x * 100 + Fraction(1, 2)), 100)


def apply(op: str, args: list) -> object:
    """Apply one operator to already-evaluated arguments."""
    try:
        if op == "add_days":
            return args[0] + dt.timedelta(days=_whole(args[1]))
        if op == "add_months":
            return add_months(args[0], _whole(args[1]))
        if op == "add_years":
            return add_months(args[0], 12 * _whole(args[1]))
        if op == "days_between":
            return Fraction((args[1] - args[0]).days)
        if op == "months_between":
            return Fraction(months_between(args[0], args[1]))
        a = [_num(x) for x in args]
        if op == "add":
            return a[0] + a[1]
        if op == "sub":
            return a[0] - a[1]
        if op == "mul":
            return a[0] * a[1]
        if op in ("div", "ratio"):
            return a[0] / a[1]
        if op == "percent":
            return _round_cents(a[0] * a[1] / 100)
        if op == "ceil":
            return Fraction(math.ceil(a[0]))
        if op == "floor":
            return Fraction(math.floor(a[0]))
        if op == "half_plus_one":
            return Fraction(math.floor(a[0] / 2) + 1)
        if op == "more_than":
            return Fraction(math.floor(a[0]) + 1)
        if op == "min":
            return min(a)
        if op == "max":
            return max(a)
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise ComputeError(str(exc)) from None
    raise ComputeError(f"unknown operator {op}")


def evaluate(arg: object, env: dict) -> object:
    """Evaluate an expression argument (literal, Ref or Expr) against `env` (facts, computed, today)."""
    if isinstance(arg, Expr):
        return apply(arg.op, [evaluate(a, env) for a in arg.args])
    if isinstance(arg, Ref):
        if arg.name not in env:
            raise ComputeError(f"missing value {arg.name}")
        value = env[arg.name]
        return _num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return _num(arg)
    return arg


def compute_values(policy: Policy, facts: dict, today: dt.date) -> dict | None:
    """The policy's computed values (name -> date or Fraction), or None when it cannot be computed."""
    env = dict(facts)
    env[TODAY] = today
    out: dict = {}
    try:
        for c in policy.compute:
            out[c.name] = env[c.name] = evaluate(c.expr, env)
    except ComputeError:
        return None
    return out


def plain(value: object) -> object:
    """Internal value -> the public form: Fraction -> int or float; dates and the rest unchanged."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def engine_value(value: object) -> object:
    """Public/internal value -> what the engine compares: dates as ordinals, numbers as int/float."""
    if isinstance(value, dt.date):
        return value.toordinal()
    return plain(value)
