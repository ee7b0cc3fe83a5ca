"""Policy lint: overlaps and gaps between the `when` conditions of a topic's policies.

Pure functions (no I/O) on a loaded PolicySet, returning located Problems (warnings):

- overlapping_policies: two policies of one topic whose conditions can hold together and whose outcomes
  differ. Conditions are compared fact by fact on the facts (and computed values) both policies test:
  numbers and dates as intervals, yes/no and choice facts as sets of values, `exists` as presence. A
  condition against another value (`lt: min_candidates`, `gte: today`) is comparable only with a
  condition against the same value, and a computed value only with one computed the same way;
  otherwise the pair is skipped. Pairs that test no fact in common, or that each test facts of their
  own and share only yes/no or choice conditions (a context such as org_type = 村), are independent
  checks and are not reported. Some overlaps are intended (an info beside a warn): they are warnings.
- numeric_gaps: for each topic and number fact, the values between the fact's minimum and maximum that
  no policy covers. Only policies whose `when` tests that one number fact with plain numbers count
  (their other conditions, on yes/no, choice or date facts, are ignored: a projection); a fact tested
  against another value anywhere in the topic is skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Iterable

from common.problems import Problem
from rules.policy import TODAY, Condition, Expr, Policy, PolicySet, Ref

INF = math.inf
NUMBER_TYPES = ("int", "float")


@dataclass(frozen=True)
class Interval:
    """lo..hi, each end open or closed; ±inf for no bound. Dates are day ordinals."""

    lo: float = -INF
    hi: float = INF
    lo_open: bool = False
    hi_open: bool = False

    @property
    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))


def _meet(a: Interval, b: Interval) -> Interval:
    lo, lo_open = (b.lo, b.lo_open) if (b.lo, b.lo_open) > (a.lo, a.lo_open) else (a.lo, a.lo_open)
    hi, hi_open = (b.hi, b.hi_open) if (b.hi, not b.hi_open) < (a.hi, not a.hi_open) else (a.hi, a.hi_open)
    return Interval(lo, hi, lo_open, hi_open)


def _whole(iv: Interval) -> Interval:
    """The same interval over whole numbers (int facts, dates): closed integer ends."""
    lo, hi = iv.lo, iv.hi
    if math.isfinite(lo):
        lo = math.floor(lo) + 1 if iv.lo_open else math.ceil(lo)
    if math.isfinite(hi):
        hi = math.ceil(hi) - 1 if iv.hi_open else math.floor(hi)
    return Interval(lo, hi, False, False)


def _subtract(g: Interval, iv: Interval) -> list[Interval]:
    cut = _meet(g, iv)
    if cut.empty:
        return [g]
    pieces = (Interval(g.lo, cut.lo, g.lo_open, not cut.lo_open), Interval(cut.hi, g.hi, not cut.hi_open, g.hi_open))
    return [p for p in pieces if not p.empty]


@dataclass(frozen=True)
class Constraint:
    """What one policy allows for one fact or computed value.

    kind "range": `ranges` (a union of intervals) on `scale` int, float or date, or relative to `symbol`
    (another value: the ends are offsets from it, 0 only); kind "set": `values`; kind "unknown": not
    comparable (mixes plain values with named ones, or two different named ones).
    """

    kind: str
    scale: str = ""
    ranges: tuple[Interval, ...] = ()
    values: frozenset = frozenset()
    symbol: object = None
    label: str = field(default="", compare=False)  # how the symbol is named in messages

    @property
    def empty(self) -> bool:
        return not self.values if self.kind == "set" else self.kind == "range" and not self.ranges


UNKNOWN = Constraint("unknown")


def _ranges(scale: str, ranges: Iterable[Interval]) -> tuple[Interval, ...]:
    fix = _whole if scale in ("int", "date") else (lambda iv: iv)
    return tuple(iv for iv in map(fix, ranges) if not iv.empty)


def _both(a: Constraint, b: Constraint) -> Constraint:
    """What both allow (possibly empty), or UNKNOWN when they cannot be compared."""
    if a.kind == "set" and b.kind == "set":
        return Constraint("set", values=a.values & b.values)
    if a.kind == "range" and b.kind == "range" and a.scale == b.scale and a.symbol == b.symbol:
        met = _ranges(a.scale, (_meet(x, y) for x in a.ranges for y in b.ranges))
        return Constraint("range", a.scale, met, symbol=a.symbol, label=a.label)
    return UNKNOWN


# ---------------------------------------------------------------- reading a policy's conditions


def _resolve(policy: Policy, value: object, depth: int = 0) -> object:
    """A policy-independent key for a value: a fact, today, or a computed value's expression spelled out."""
    if depth > 20:
        return ("opaque", id(value))
    if isinstance(value, Ref):
        computed = policy.computed(value.name)
        if computed is not None:
            return ("computed", _resolve(policy, computed.expr, depth + 1))
        return ("today",) if value.name == TODAY else ("fact", value.name)
    if isinstance(value, Expr):
        return ("expr", value.op, tuple(_resolve(policy, a, depth + 1) for a in value.args))
    return value


def _scale(policy: Policy, name: str, operand: object) -> str:
    """int, float, date, bool or choice: the fact's type, or for a computed value its literal's kind."""
    if name in policy.vocab_facts and policy.computed(name) is None:
        return policy.vocab_facts[name].type
    sample = operand[0] if isinstance(operand, tuple) and operand else operand
    return "date" if isinstance(sample, dt.date) else "float"


def _number(value: object) -> float:
    return value.toordinal() if isinstance(value, dt.date) else value


def _bound(op: str, value: float) -> tuple[Interval, ...]:
    return {
        "lt": (Interval(hi=value, hi_open=True),),
        "lte": (Interval(hi=value),),
        "gt": (Interval(lo=value, lo_open=True),),
        "gte": (Interval(lo=value),),
        "eq": (Interval(value, value),),
        "ne": (Interval(hi=value, hi_open=True), Interval(lo=value, lo_open=True)),
    }[op]


def _condition(policy: Policy, cond: Condition) -> Constraint:
    """One `when` test as a Constraint (not for `exists`)."""
    scale = _scale(policy, cond.fact, cond.operand)
    operand = cond.operand
    if scale in ("bool", "choice"):
        universe = (False, True) if scale == "bool" else policy.vocab_facts[cond.fact].choices
        if cond.op == "in":
            return Constraint("set", values=frozenset(operand))
        if cond.op in ("eq", "ne"):
            return Constraint("set", values=frozenset({operand} if cond.op == "eq" else set(universe) - {operand}))
        return UNKNOWN
    parts = operand if cond.op in ("in", "between") else (operand,)
    refs = [p for p in parts if isinstance(p, Ref)]
    if refs:
        symbols = {_resolve(policy, r) for r in refs}
        if len(refs) != len(parts) or len(symbols) != 1 or cond.op == "in":
            return UNKNOWN
        ranges = (Interval(0, 0),) if cond.op == "between" else _bound(cond.op, 0)
        return Constraint("range", "float", ranges, symbol=symbols.pop(), label=refs[0].name)
    if cond.op == "between":
        ranges = (Interval(_number(parts[0]), _number(parts[1])),)
    elif cond.op == "in":
        ranges = tuple(Interval(_number(v), _number(v)) for v in parts)
    else:
        ranges = _bound(cond.op, _number(operand))
    return Constraint("range", scale, _ranges(scale, ranges))


@dataclass
class _Reading:
    """One policy's conditions by key: what each allows, whether it must be present, and its name."""

    policy: Policy
    allows: dict = field(default_factory=dict)
    present: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)


def _read(policy: Policy) -> _Reading:
    reading = _Reading(policy)
    for name in policy.need_names:
        reading.present[("fact", name)] = True
    for computed in policy.compute:
        reading.present[_resolve(policy, Ref(computed.name))] = True
    for cond in policy.when:
        key = _resolve(policy, Ref(cond.fact))
        reading.names.setdefault(key, cond.fact)
        if cond.op == "exists":
            reading.present[key] = bool(cond.operand) or reading.present.get(key, False)
            continue
        reading.present[key] = True
        found = _condition(policy, cond)
        reading.allows[key] = _both(reading.allows[key], found) if key in reading.allows else found
    return reading


# ---------------------------------------------------------------- describing values


def _show(value: float, scale: str) -> str:
    if scale == "date":
        return dt.date.fromordinal(int(value)).isoformat()
    return str(int(value)) if float(value).is_integer() else str(value)


def _describe_range(name: str, c: Constraint, iv: Interval) -> str:
    show = (lambda v: c.label) if c.symbol is not None else (lambda v: _show(v, c.scale))
    lo, hi = math.isfinite(iv.lo), math.isfinite(iv.hi)
    if lo and hi and iv.lo == iv.hi:
        return f"{name} = {show(iv.lo)}"
    if lo and hi:
        return f"{name} in {'(' if iv.lo_open else '['}{show(iv.lo)}, {show(iv.hi)}{')' if iv.hi_open else ']'}"
    if lo:
        return f"{name} {'>' if iv.lo_open else '>='} {show(iv.lo)}"
    if hi:
        return f"{name} {'<' if iv.hi_open else '<='} {show(iv.hi)}"
    return f"{name} of any value"


def _describe(name: str, c: Constraint, facts: dict) -> str:
    if c.kind == "set":
        universe = (False, True) if all(isinstance(v, bool) for v in c.values) else facts[name].choices
        shown = [str(v).lower() if isinstance(v, bool) else str(v) for v in universe if v in c.values]
        return f"{name} = {shown[0]}" if len(shown) == 1 else f"{name} in {{{', '.join(shown)}}}"
    return " or ".join(_describe_range(name, c, iv) for iv in c.ranges)


def _floor(name: str, c: Constraint, facts: dict) -> Constraint:
    """Clip a fact's range at the fact's minimum (full_members < 3 reads as [0, 2])."""
    fact = facts.get(name)
    if c.kind != "range" or c.symbol is not None or fact is None or fact.minimum is None:
        return c
    ranges = _ranges(c.scale, (_meet(iv, Interval(lo=fact.minimum)) for iv in c.ranges))
    return Constraint("range", c.scale, ranges or c.ranges, symbol=c.symbol, label=c.label)


# ---------------------------------------------------------------- the lints


def _policies(policies: PolicySet | Iterable[Policy]) -> tuple[Policy, ...]:
    return policies.policies if isinstance(policies, PolicySet) else tuple(policies)


def _by_topic(policies: tuple[Policy, ...]) -> dict[str, list[Policy]]:
    topics: dict[str, list[Policy]] = {}
    for p in policies:
        topics.setdefault(p.topic, []).append(p)
    return topics


def _overlap(a: _Reading, b: _Reading) -> list[str] | None:
    """How the two policies can both hold, fact by fact; None when they cannot (or cannot be compared)."""
    if any(a.present[k] != b.present[k] for k in a.present.keys() & b.present.keys()):
        return None  # one needs a fact the other requires to be missing
    shared = [k for k in a.allows if k in b.allows]
    if not shared:
        return None  # no fact tested by both: independent checks, not an overlap
    nested = a.allows.keys() <= b.allows.keys() or b.allows.keys() <= a.allows.keys()
    if not nested and all(a.allows[k].kind == "set" for k in shared):
        return None  # each tests its own facts and they only share a context (org_type = 村)
    both = {k: _both(a.allows[k], b.allows[k]) for k in shared}
    if any(c.empty for c in both.values()) or UNKNOWN in both.values():
        return None
    facts = a.policy.vocab_facts
    return [_describe(a.names[k], _floor(a.names[k], c, facts), facts) for k, c in both.items()]


def overlapping_policies(policies: PolicySet | Iterable[Policy]) -> list[Problem]:
    """Pairs of a topic's policies that can both hold for some facts and have different outcomes (warnings)."""
    problems = []
    for group in _by_topic(_policies(policies)).values():
        readings = [_read(p) for p in group]
        for i, a in enumerate(readings):
            for b in readings[i + 1 :]:
                pa, pb = a.policy, b.policy
                if pa.outcome == pb.outcome:
                    continue
                where = _overlap(a, b)
                if where is None:
                    continue
                problems.append(
                    Problem(
                        pa.file,
                        pa.line,
                        f"{pa.id}.when",
                        f"policies {pa.id} and {pb.id} overlap when {' and '.join(where)} "
                        f"with different outcomes ({pa.outcome} vs {pb.outcome})",
                        "warning",
                    )
                )
    return problems


def _number_facts(reading: _Reading) -> set[str]:
    return {
        key[1]
        for key in reading.allows
        if key[0] == "fact"
        and key[1] in reading.policy.vocab_facts
        and reading.policy.vocab_facts[key[1]].type in NUMBER_TYPES
    }


def _show_gap(iv: Interval, fact) -> str:
    """An uncovered stretch: 0, 0 to 49, 4 or more (whole numbers); [0, 3), more than 5000 (decimals)."""
    top = fact.maximum if fact.maximum is not None else INF
    lo, hi = (
        _show(iv.lo, "float") if math.isfinite(iv.lo) else "",
        _show(iv.hi, "float") if math.isfinite(iv.hi) else "",
    )
    if not lo:
        return f"{'less than ' + hi if iv.hi_open else hi + ' or less'}" if hi else "any value"
    if iv.lo == iv.hi:
        return lo
    if iv.hi >= top:
        return f"more than {lo}" if iv.lo_open else f"{lo} or more"
    if fact.type == "int":
        return f"{lo} to {hi}"
    return f"{'(' if iv.lo_open else '['}{lo}, {hi}{')' if iv.hi_open else ']'}"


def numeric_gaps(policies: PolicySet | Iterable[Policy]) -> list[Problem]:
    """Values of a topic's number facts, from the fact's minimum to its maximum, that no policy covers."""
    problems = []
    for topic, group in _by_topic(_policies(policies)).items():
        readings = [_read(p) for p in group]
        facts = list(dict.fromkeys(f for r in readings for f in sorted(_number_facts(r))))
        for name in facts:
            key, fact = ("fact", name), group[0].vocab_facts[name]
            if any(
                r.allows[key].kind != "range" or r.allows[key].symbol is not None for r in readings if key in r.allows
            ):
                continue  # tested against another value somewhere: coverage cannot be told
            covering = [r for r in readings if _number_facts(r) == {name}]
            if not covering:
                continue
            low = fact.minimum if fact.minimum is not None else -INF
            high = fact.maximum if fact.maximum is not None else INF
            gaps = list(_ranges(fact.type, (Interval(low, high),)))
            for r in covering:
                for iv in r.allows[key].ranges:
                    gaps = [piece for gap in gaps for piece in _subtract(gap, iv)]
                gaps = list(_ranges(fact.type, gaps))
            if gaps:
                first = covering[0].policy
                shown = ", ".join(_show_gap(g, fact) for g in gaps)
                problems.append(
                    Problem(first.file, first.line, f"{topic}.{name}", f"no policy covers {shown}", "warning")
                )
    return problems


def lint_policies(policies: PolicySet | Iterable[Policy]) -> list[Problem]:
    """Every policy lint (all warnings: overlaps can be intended, gaps can be deliberate)."""
    return overlapping_policies(policies) + numeric_gaps(policies)
