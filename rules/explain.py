"""Why, why-not, the smallest flip and the arithmetic, built in Python from the YAML (the engine explains nothing).

Also the plain-Python evaluation of a policy's conditions (`holds`): the floor for the benchmark and
the basis of why-not.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from fractions import Fraction

from rules.compute import evaluate, fmt_number, fmt_value, plain
from rules.policy import TODAY, Condition, Expr, Policy, Ref, Verdict

SYMBOLS = {"lt": "<", "lte": "≤", "gt": ">", "gte": "≥", "eq": "=", "ne": "≠"}
NEGATED = {"lt": "≥", "lte": ">", "gt": "≤", "gte": "<", "eq": "≠", "ne": "="}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "ratio": "÷"}
_DATE_STEP = {"add_days": "天", "add_months": "个月", "add_years": "年"}


# ---------------------------------------------------------------- labels and values


def label(policy: Policy, name: str) -> str:
    if name == TODAY:
        return "今天"
    if name in policy.vocab_facts:
        return policy.vocab_facts[name].label
    c = policy.computed(name)
    return (c.label or name) if c else name


def unit(policy: Policy, name: str) -> str:
    if name in policy.vocab_facts:
        return policy.vocab_facts[name].unit
    c = policy.computed(name)
    return c.unit if c else ""


def _show(value: object, unit_text: str) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    text = fmt_value(value)
    return f"{text} {unit_text}" if unit_text and not isinstance(value, (dt.date, str)) else text


def render(template: str, env: dict) -> str:
    """Replace {name} with the formatted value (dates as 2026年3月1日, numbers without trailing zeros)."""
    return _PLACEHOLDER.sub(lambda m: fmt_value(env[m[1]]) if m[1] in env else m[0], template)


# ---------------------------------------------------------------- plain-Python conditions (floor, why-not)


def _resolve(value: object, env: dict) -> object:
    if isinstance(value, Ref):
        return env[value.name]
    return value


def condition_holds(cond: Condition, env: dict) -> bool:
    """Whether one condition holds; a missing fact never matches (as in the engine)."""
    if cond.op == "exists":
        return (cond.fact in env) == cond.operand
    if cond.fact not in env:
        return False
    v = env[cond.fact]
    if cond.op == "in":
        return v in tuple(_resolve(o, env) for o in cond.operand)
    if cond.op == "between":
        low, high = (_resolve(o, env) for o in cond.operand)
        return low <= v <= high
    o = _resolve(cond.operand, env)
    return {"lt": v < o, "lte": v <= o, "gt": v > o, "gte": v >= o, "eq": v == o, "ne": v != o}[cond.op]


def holds(policy: Policy, env: dict) -> bool:
    return all(condition_holds(c, env) for c in policy.when)


# ---------------------------------------------------------------- reasons (why and why-not)


def _operand_text(policy: Policy, cond: Condition, value: object, env: dict) -> str:
    if isinstance(value, Ref):
        return (
            f"{label(policy, value.name)} {_show(env[value.name], unit(policy, value.name) or unit(policy, cond.fact))}"
        )
    return _show(value, unit(policy, cond.fact))


def reason(policy: Policy, cond: Condition, env: dict, negate: bool = False) -> str:
    """'正式党员 2 名 < 3 名' (or with negate, the way the condition failed: '正式党员 3 名 ≥ 3 名')."""
    name = label(policy, cond.fact)
    if cond.op == "exists":
        return f"{'已' if cond.operand != negate else '未'}提供{name}"
    if cond.fact not in env:
        return f"未提供{name}"
    shown = _show(env[cond.fact], unit(policy, cond.fact))
    if isinstance(env[cond.fact], (bool, str)) and cond.op in ("eq", "ne", "in"):
        excluded = (cond.op == "ne") != negate
        if cond.op == "in":
            return f"{name}：{shown}" + (f"（不属于 {'、'.join(map(str, cond.operand))}）" if negate else "")
        return f"{name}：{shown}" + (f"（不是 {_show(cond.operand, '')}）" if excluded else "")
    if cond.op == "in":
        options = "、".join(_operand_text(policy, cond, o, env) for o in cond.operand)
        return f"{name} {shown}，{'不' if negate else ''}属于 {options}"
    if cond.op == "between":
        low, high = (_operand_text(policy, cond, o, env) for o in cond.operand)
        return f"{name} {shown}，{'不' if negate else ''}在 {low} 至 {high} 之间"
    symbol = (NEGATED if negate else SYMBOLS)[cond.op]
    return f"{name} {shown} {symbol} {_operand_text(policy, cond, cond.operand, env)}"


def reasons(policy: Policy, env: dict) -> tuple[str, ...]:
    """One line per tested fact; two bounds on one fact share a line ('… > 3000 元，且 ≤ 5000 元')."""
    lines: list[str] = []
    previous: Condition | None = None
    for cond in policy.when:
        if (
            previous is not None
            and previous.fact == cond.fact
            and cond.fact in env
            and previous.op in SYMBOLS
            and cond.op in SYMBOLS
        ):
            lines[-1] += f"，且 {SYMBOLS[cond.op]} {_operand_text(policy, cond, cond.operand, env)}"
        else:
            lines.append(reason(policy, cond, env))
        previous = cond
    return tuple(lines)


def why_not(policy: Policy, env: dict) -> tuple[str, ...]:
    """The conditions that did not hold (or the facts still missing)."""
    missing = [n for n in policy.need_names if n not in env]
    if missing:
        return tuple(f"缺少：{label(policy, n)}" for n in missing)
    return tuple(reason(policy, c, env, negate=True) for c in policy.when if not condition_holds(c, env))


# ---------------------------------------------------------------- arithmetic


def _value(arg: object, env: dict) -> object:
    if isinstance(arg, Ref):
        return env[arg.name]
    if isinstance(arg, Expr):
        return evaluate(arg, env)
    return arg


def _frac(x: object) -> Fraction:
    return Fraction(str(x)) if isinstance(x, float) else Fraction(x)


def _infix(arg: object, env: dict, pre: list[str], nested: bool = False) -> str:
    """Text of an argument inside an arithmetic line; non-infix nested expressions become lines of their own."""
    if isinstance(arg, Expr) and arg.op in _INFIX:
        a, b = (_infix(x, env, pre, nested=True) for x in arg.args)
        text = f"{a} {_INFIX[arg.op]} {b}"
        return f"({text})" if nested else text
    if isinstance(arg, Expr):
        pre.append(describe(arg, env))
    return fmt_value(_value(arg, env))


def describe(expr: Expr, env: dict) -> str:
    """One arithmetic line, e.g. '2025年3月1日 + 1年 = 2026年3月1日' or '5 × 1.2 = 6，进一法取 6'."""
    pre: list[str] = []
    result = fmt_value(_value(expr, env))
    op, args = expr.op, expr.args
    if op in _INFIX:
        line = f"{_infix(expr, env, pre)} = {result}"
    elif op in _DATE_STEP:
        step = _infix(args[1], env, pre)
        sign, step = ("−", step[1:]) if step.startswith("-") else ("+", step)
        line = f"{_infix(args[0], env, pre)} {sign} {step}{_DATE_STEP[op]} = {result}"
    elif op in ("period_start", "period_end"):
        months = int(_frac(_value(args[1], env)))
        period = {1: "月", 3: "季度", 6: "半年", 12: "年"}.get(months, f"{months}个月")
        edge = "第一天" if op == "period_start" else "最后一天"
        line = f"{_infix(args[0], env, pre)}所在{period}（按日历{period}）的{edge}：{result}"
    elif op in ("days_between", "months_between"):
        step = "天" if op == "days_between" else "个月"
        line = f"从{_infix(args[0], env, pre)}到{_infix(args[1], env, pre)}：{result} {step}"
    elif op == "percent":
        line = f"{_infix(args[0], env, pre)} × {_infix(args[1], env, pre)}% = {result}"
    elif op in ("min", "max"):
        a, b = (_infix(x, env, pre) for x in args)
        line = f"{a} 与 {b} 取{'较小' if op == 'min' else '较大'}值 = {result}"
    else:
        inner = args[0]
        if isinstance(inner, Expr) and inner.op in _INFIX:
            head = describe(inner, env)
        else:
            head = _infix(inner, env, pre)
        value = fmt_number(_value(inner, env))
        if op == "ceil":
            line = f"{head}，进一法取 {result}"
        elif op == "floor":
            line = f"{head}，去尾法取 {result}"
        elif op == "half_plus_one":
            half = fmt_number(_frac(_value(inner, env)) / 2)
            start = f"{head}；" if head != value else ""
            line = f"{start}{value} ÷ 2 = {half}，超过半数至少 {result}"
        else:  # more_than
            line = f"{head}，超过 {value} 即至少 {result}" if head != value else f"超过 {value} 即至少 {result}"
    return "；".join(pre + [line])


def arithmetic(policy: Policy, env: dict) -> tuple[str, ...]:
    return tuple(describe(c.expr, env) for c in policy.compute)


# ---------------------------------------------------------------- the smallest flip


def _is_int(policy: Policy, name: str, value: object) -> bool:
    if name in policy.vocab_facts:
        return policy.vocab_facts[name].type == "int"
    return isinstance(value, int) or (isinstance(value, Fraction) and value.denominator == 1)


def _flip_one(policy: Policy, cond: Condition, env: dict, today: dt.date) -> tuple[object, object] | None:
    """(by how much, to what) the tested value must move so that this condition no longer holds."""
    if cond.fact not in env or cond.op not in ("lt", "lte", "gt", "gte", "between"):
        return None
    v = env[cond.fact]
    if isinstance(cond.operand, Ref) and cond.operand.name == TODAY and isinstance(v, dt.date):
        if cond.op in ("gt", "gte"):  # holds while the date is still ahead: wait until it arrives
            target = v if cond.op == "gt" else v + dt.timedelta(days=1)
            return (target - today).days, target
        return None  # a date already passed cannot be undone
    if cond.op == "between":
        low, high = (_resolve(o, env) for o in cond.operand)
        step = 1 if _is_int(policy, cond.fact, v) or isinstance(v, dt.date) else 0
        down = (low - dt.timedelta(days=step)) if isinstance(v, dt.date) else low - step
        up = (high + dt.timedelta(days=step)) if isinstance(v, dt.date) else high + step
        return min(((_distance(v, down), down), (_distance(v, up), up)), key=lambda t: t[0])
    bound = _resolve(cond.operand, env)
    if isinstance(v, dt.date):
        day = dt.timedelta(days=1)
        target = {"lt": bound, "lte": bound + day, "gt": bound, "gte": bound - day}[cond.op]
        return _distance(v, target), target
    b = _frac(bound)
    if _is_int(policy, cond.fact, v):
        target = {"lt": math.ceil(b), "lte": math.floor(b) + 1, "gt": math.floor(b), "gte": math.ceil(b) - 1}[cond.op]
    else:
        target = b
    return _distance(v, target), target


def _distance(a: object, b: object) -> object:
    if isinstance(a, dt.date):
        return abs((b - a).days)
    return abs(_frac(a) - _frac(b))


def flip_values(policy: Policy, env: dict, today: dt.date) -> dict:
    """{'flip_by': ..., 'flip_to': ...} from the first flippable condition (or `flip_on`), else {}."""
    for cond in policy.when:
        if policy.flip_on and cond.fact != policy.flip_on:
            continue
        found = _flip_one(policy, cond, env, today)
        if found is not None:
            by, to = found
            return {
                "flip_by": plain(by) if isinstance(by, Fraction) else by,
                "flip_to": plain(to) if isinstance(to, Fraction) else to,
            }
    return {}


# ---------------------------------------------------------------- the verdict


def build_verdict(policy: Policy, facts: dict, computed: dict, today: dt.date) -> Verdict:
    """A Verdict for a policy that fired on these typed facts and computed values."""
    env = dict(facts)
    env.update(computed)
    env[TODAY] = today
    flip = None
    if policy.outcome == "fail" and policy.flip:
        flip = render(policy.flip, {**env, **flip_values(policy, env, today)})
    used = {n: facts[n] for n in policy.need_names}
    used.update({c.fact: facts[c.fact] for c in policy.when if c.fact in facts and c.fact not in used})
    return Verdict(
        rule_id=policy.id,
        topic=policy.topic,
        outcome=policy.outcome,
        message=render(policy.message, env),
        reasons=reasons(policy, env),
        computed={name: plain(value) for name, value in computed.items()},
        arithmetic=arithmetic(policy, env),
        flip=flip,
        next_steps=tuple(render(s, env) for s in policy.next_steps),
        source=policy.source,
        verified=policy.verified,
        local_practice=policy.local_practice,
        facts=used,
        priority=policy.priority,
        note=policy.note,
    )


__all__ = ["build_verdict", "describe", "flip_values", "holds", "reason", "render", "condition_holds", "why_not"]
