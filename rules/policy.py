"""Typed policies and verdicts: the plain frozen dataclasses that cross the rules/ boundary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common.sources import Citation

OUTCOMES = ("pass", "fail", "warn", "info")
CASE_EXPECTS = OUTCOMES + ("none", "rejected")
CONDITION_OPERATORS = ("lt", "lte", "gt", "gte", "eq", "ne", "in", "between", "exists")
TODAY = "today"
FLIP_NAMES = ("flip_by", "flip_to")


@dataclass(frozen=True)
class Ref:
    """A reference to another value by name: a fact, a computed value or `today`."""

    name: str


@dataclass(frozen=True)
class Expr:
    """A computed-value expression: a code-owned operator applied to arguments.

    Each argument is a literal (int, float, date), a `Ref`, or a nested `Expr`.
    """

    op: str
    args: tuple


@dataclass(frozen=True)
class Computed:
    """A named computed value of a policy (`compute:`), evaluated in order."""

    name: str
    expr: Expr
    label: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Condition:
    """One `when` test: `fact op operand`. The operand is a literal, a `Ref`, a tuple (in / between) or a bool (exists)."""

    fact: str
    op: str
    operand: object


@dataclass(frozen=True)
class Case:
    """A golden case stored beside its policy: facts in, expected outcome of this policy out."""

    facts: dict
    expect: str
    today: dt.date | None
    says: tuple[str, ...]
    file: str
    line: int
    path: str


@dataclass(frozen=True)
class TextCase:
    """A free-text golden case: a message as typed, run through extraction and the engine."""

    text: str
    expect: str
    today: dt.date | None
    says: tuple[str, ...]
    file: str
    line: int
    path: str


@dataclass(frozen=True)
class Policy:
    """One validated policy for one topic."""

    id: str
    topic: str
    needs: tuple[tuple[str, str], ...]  # (fact name, Chinese prompt)
    when: tuple[Condition, ...]
    priority: int
    outcome: str
    message: str
    source: str  # the rendered source line (common.sources.render)
    verified: bool
    compute: tuple[Computed, ...] = ()
    flip: str | None = None
    flip_on: str | None = None
    next_steps: tuple[str, ...] = ()
    local_practice: bool = False
    cases: tuple[Case, ...] = ()
    file: str = ""
    line: int = 0
    # The vocabulary's facts (name -> rules.vocab.Fact): labels, units and types for explanations.
    vocab_facts: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    text_cases: tuple[TextCase, ...] = ()
    citations: tuple[Citation, ...] = ()  # registry ids and articles (knowledge/sources.yaml)
    note: str = ""  # a user-visible caveat: edition, unsettled point

    @property
    def need_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.needs)

    @property
    def computed_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.compute)

    def computed(self, name: str) -> Computed | None:
        for c in self.compute:
            if c.name == name:
                return c
        return None


@dataclass(frozen=True)
class PolicySet:
    """Every policy of every file, in file order; `versions` maps each file to its `version:`."""

    policies: tuple[Policy, ...]
    versions: dict = field(default_factory=dict)
    vocab: object = field(default=None, compare=False, repr=False)  # rules.vocab.Vocabulary

    def for_topic(self, topic: str) -> tuple[Policy, ...]:
        return tuple(p for p in self.policies if p.topic == topic)

    def get(self, policy_id: str) -> Policy | None:
        for p in self.policies:
            if p.id == policy_id:
                return p
        return None

    @property
    def topics(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in self.policies:
            seen.setdefault(p.topic)
        return tuple(seen)

    def __len__(self) -> int:
        return len(self.policies)


def _json_safe(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class Verdict:
    """The ruling of one policy on one situation, with its explanation."""

    rule_id: str
    topic: str
    outcome: str
    message: str
    reasons: tuple[str, ...]
    computed: dict
    arithmetic: tuple[str, ...]
    flip: str | None
    next_steps: tuple[str, ...]
    source: str
    verified: bool
    local_practice: bool
    facts: dict
    priority: int = 0
    note: str = ""

    def to_dict(self) -> dict:
        """JSON-safe form (dates as ISO strings)."""
        return {
            "rule_id": self.rule_id,
            "outcome": self.outcome,
            "message": self.message,
            "source": self.source,
            "note": self.note,
            "facts": _json_safe(self.facts),
            "computed": _json_safe(self.computed),
            "reasons": list(self.reasons),
            "arithmetic": list(self.arithmetic),
            "flip": self.flip,
            "next_steps": list(self.next_steps),
        }


class InvalidFacts(ValueError):
    """Absurd, contradictory or mistyped facts: no verdict; `problems` are Chinese lines for the user."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("；".join(self.problems))
