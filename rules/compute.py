"""Computed values and fact typing: code-owned operators, exact arithmetic, absurd-fact checks.

Numbers are computed as exact fractions (5 × 1.2 is exactly 6, so rounding up gives 6, not 7);
dates stay `datetime.date` here and become ordinal integers only for the engine.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from fractions import Fraction

from rules.policy import TODAY, Expr, InvalidFacts, Policy, Ref

# Code-owned computed operators: name -> (argument types, result type). "number" args accept facts of
# type int/float, numeric literals and numeric computed values; "date" args accept date facts, date
# literals, date computed values and `today`.
OPERATORS: dict[str, tuple[tuple[str, ...], str]] = {
    "add_days": (("date", "number"), "date"),
    "add_months": (("date", "number"), "date"),
    "add_years": (("date", "number"), "date"),
    "period_start": (("date", "number"), "date"),
    "period_end": (("date", "number"), "date"),
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
WHOLE_NUMBER_ARGS = {"add_days": 1, "add_months": 1, "add_years": 1, "period_start": 1, "period_end": 1}


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


def coerce_facts(topic: str, facts: dict, today: dt.date, vocab=None) -> dict:
    """Type every fact per the vocabulary and reject absurd or contradictory ones (InvalidFacts).

    The checks are rules.validate's, the same as for free text and `bot.py evaluate`."""
    from rules.validate import validate
    from rules.vocab import default_vocabulary

    typed, problems = validate(vocab or default_vocabulary(), facts, today)
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


def period_start(d: dt.date, months: int) -> dt.date:
    """The first day of the calendar period of `months` months that holds d: a month (1), a quarter
    (3), a half year (6) or a year (12). '每季度' means each calendar quarter, not 3 months after the last."""
    if months not in (1, 2, 3, 4, 6, 12):
        raise ComputeError(f"a calendar period is 1, 2, 3, 4, 6 or 12 months, not {months}")
    return dt.date(d.year, (d.month - 1) // months * months + 1, 1)


def period_end(d: dt.date, months: int) -> dt.date:
    """The last day of that calendar period."""
    return add_months(period_start(d, months), months) - dt.timedelta(days=1)


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
        if op == "period_start":
            return period_start(args[0], _whole(args[1]))
        if op == "period_end":
            return period_end(args[0], _whole(args[1]))
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
