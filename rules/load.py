"""Validate one policy mapping into a typed Policy; every problem is located as `file:line: path: message`.

Reading files and folders, the sources registry and the golden cases is rules/load_files.py. Policies that fail
validation are never compiled.
"""

from __future__ import annotations

import datetime as dt
import re

from common.problems import Problem
from common.sources import Registry, check_citations, parse_citations, render
from common.yamlload import Loaded
from rules.compute import OPERATORS, WHOLE_NUMBER_ARGS, value_type
from rules.policy import CONDITION_OPERATORS, FLIP_NAMES, OUTCOMES, TODAY, Computed, Condition, Expr, Policy, Ref
from rules.load_cases import ALIASES, CASE_FIELDS, TEXT_CASE_FIELDS, CaseReader, _hint  # noqa: F401
from rules.vocab import Vocabulary

TOP_FIELDS = ("version", "policies")
REQUIRED = {
    "id": "a dotted lower-case id such as branch_formation.too_few_full_members",
    "topic": "one of the topics in rules/vocabulary/topics.yaml",
    "needs": "a mapping fact -> Chinese prompt",
    "when": "a mapping fact -> {operator: value}",
    "priority": "an integer; verdicts are listed highest priority first",
    "outcome": "one of pass, fail, warn, info",
    "message": "the Chinese verdict text",
    "source": "a citation of the sources registry, {ref: ID, article: 第N条} or a list of them",
    "verified": "true or false",
    "cases": "a list of golden cases",
}
OPTIONAL = ("compute", "flip", "flip_on", "next_steps", "local_practice", "text_cases", "note")

ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def _kind(value: object) -> str:
    """The kind of a YAML value, as named in messages: bool, number, date, text, list, dict."""
    for kind, types in (("bool", bool), ("number", (int, float)), ("date", dt.date), ("text", str)):
        if isinstance(value, types):
            return kind
    return type(value).__name__


class _PolicyReader(CaseReader):
    """Validates one policy mapping; `errors` collects located problems."""

    def __init__(self, doc: Loaded, path: tuple, raw: object, vocab: Vocabulary, registry: Registry):
        self.doc, self.path, self.raw, self.vocab, self.registry = doc, path, raw, vocab, registry
        self.facts = vocab.facts
        self.errors: list[Problem] = []
        self.types: dict[str, str] = {}  # name -> number/date/bool/choice for needs, computed and today
        self.needs: dict[str, str] = {}
        self.computed: dict[str, str] = {}  # computed name -> type
        self.uses_dates = False
        self.broken: set[str] = set()  # computed names already reported as invalid

    def err(self, sub: tuple, message: str) -> None:
        self.errors.append(self.doc.problem(self.path + sub, message))

    def read(self) -> Policy | None:
        raw = self.raw
        if not isinstance(raw, dict):
            self.err((), f"a policy must be a mapping of fields, found {_kind(raw)}")
            return None
        for key in raw:
            if key not in REQUIRED and key not in OPTIONAL:
                self.err((key,), f"unknown field '{key}'{_hint(str(key), list(REQUIRED) + list(OPTIONAL))}")
        for key, what in REQUIRED.items():
            if key not in raw:
                self.err((), f"missing required field '{key}' ({what})")
        pid = self._text("id")
        if pid and not ID_RE.match(pid):
            self.err(("id",), f"id '{pid}' must be dotted lower-case ASCII, e.g. branch_formation.too_few")
        topic = self._text("topic")
        topics = self.vocab.topics
        if topic and topic not in topics:
            self.err(("topic",), f"unknown topic '{topic}'{_hint(topic, topics)}; use one of {', '.join(topics)}")
        self.types[TODAY] = "date"
        self._read_needs()
        compute = self._read_compute()
        when = self._read_when()
        priority = raw.get("priority")
        if "priority" in raw and (isinstance(priority, bool) or not isinstance(priority, int)):
            self.err(("priority",), f"priority must be an integer, found {_kind(priority)} {priority!r}")
        outcome = raw.get("outcome")
        if "outcome" in raw and outcome not in OUTCOMES:
            self.err(("outcome",), f"invalid outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
        message = self._text("message")
        flip = self._text("flip")
        self._placeholders(("message",), message)
        if flip is not None:
            if outcome != "fail":
                self.err(("flip",), "flip is only for outcome: fail (it says the smallest change that makes it pass)")
            self._placeholders(("flip",), flip, FLIP_NAMES)
        flip_on = self._text("flip_on")
        if flip_on is not None and flip_on not in {c.fact for c in when}:
            self.err(("flip_on",), f"flip_on '{flip_on}' must name a fact or computed value tested in `when`")
        steps = raw.get("next_steps", [])
        if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
            self.err(("next_steps",), "next_steps must be a list of non-empty texts")
            steps = []
        for i, step in enumerate(steps):
            self._placeholders(("next_steps", i), step)
        verified, local = raw.get("verified"), raw.get("local_practice", False)
        for key, value in (("verified", verified), ("local_practice", local)):
            if key in raw and not isinstance(value, bool):
                self.err((key,), f"{key} must be true or false, found {value!r}")
        note = self._text("note") or ""
        citations = self._read_source(local is True, note)
        cases = self._read_cases(outcome)
        text_cases = self._read_text_cases(outcome)
        if self.errors:
            return None
        return Policy(
            id=pid,
            topic=topic,
            needs=tuple(self.needs.items()),
            when=tuple(when),
            priority=priority,
            outcome=outcome,
            message=message,
            verified=verified,
            source=render(citations, self.registry, verified),
            citations=citations,
            note=note,
            compute=tuple(compute),
            flip=flip,
            flip_on=flip_on,
            next_steps=tuple(steps),
            local_practice=local,
            cases=tuple(cases),
            file=self.doc.file,
            line=self.doc.line(self.path),
            vocab_facts=self.facts,
            text_cases=tuple(text_cases),
        )

    def _text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.err((key,), f"{key} must be a non-empty text, found {_kind(value)} {value!r}")
            return None
        return value.strip()

    def _read_source(self, local: bool, note: str) -> tuple:
        """`source:` cites the registry exactly as a knowledge entry does (common.sources), with the same checks."""
        if "source" not in self.raw:
            return ()
        citations = parse_citations(self.doc, self.path + ("source",), self.raw["source"], self.errors)
        if citations is None:
            return ()
        listed = isinstance(self.raw["source"], list)
        for i, citation in enumerate(citations):  # each problem at the citation it is about
            for message in check_citations((citation,), self.registry, local_practice=local, note=note):
                self.err(("source", i) if listed else ("source",), message)
        return citations

    def _fact_error(self, sub: tuple, name: object) -> None:
        if name in self.broken:
            return
        if isinstance(name, str) and name in self.facts:
            self.err(sub, f"fact '{name}' is used but not listed in `needs`; add it there with a Chinese prompt")
        else:
            known = list(self.facts) + list(self.computed)
            self.err(
                sub,
                f"unknown fact '{name}'{_hint(str(name), known)}; "
                "use a fact from rules/vocabulary/facts.yaml or a name defined under `compute`",
            )

    def _read_needs(self) -> None:
        if "needs" not in self.raw:
            return
        needs = self.raw["needs"]
        if not isinstance(needs, dict) or not needs:
            self.err(("needs",), "needs must be a non-empty mapping of fact -> Chinese prompt")
            return
        for name, prompt in needs.items():
            if name not in self.facts:
                self._fact_error(("needs", name), name)
                continue
            if not isinstance(prompt, str) or not prompt.strip():
                self.err(("needs", name), f"the prompt for '{name}' must be a non-empty Chinese question")
                continue
            self.needs[name] = prompt.strip()
            self.types[name] = value_type(self.facts[name].type)
            self.uses_dates |= self.types[name] == "date"

    def _read_compute(self) -> list[Computed]:
        raw = self.raw.get("compute", {})
        if not isinstance(raw, dict):
            self.err(("compute",), "compute must be a mapping of name -> {operator: arguments}")
            return []
        out = []
        for name, spec in raw.items():
            sub = ("compute", name)
            if (
                not isinstance(name, str)
                or not NAME_RE.match(name)
                or name in self.facts
                or name in (TODAY,) + FLIP_NAMES
            ):
                self.err(
                    sub,
                    f"'{name}' cannot name a computed value: use lower_snake_case that is not a fact, "
                    "today, flip_by or flip_to",
                )
                continue
            label = unit = ""
            if isinstance(spec, dict):
                spec = dict(spec)
                label, unit = str(spec.pop("label", "")), str(spec.pop("unit", ""))
            parsed = self._expr(spec, sub)
            if parsed is None:
                self.broken.add(name)
                continue
            expr, kind = parsed
            self.computed[name] = self.types[name] = kind
            out.append(Computed(name, expr, label, unit))
        return out

    def _expr(self, spec: object, sub: tuple) -> tuple[Expr, str] | None:
        if not isinstance(spec, dict) or len(spec) != 1:
            self.err(
                sub,
                f"a computed value is one {{operator: arguments}}, e.g. {{add_years: [probation_start, 1]}}; "
                f"operators: {', '.join(OPERATORS)}",
            )
            return None
        ((op, args),) = spec.items()
        if op not in OPERATORS:
            self.err(
                sub + (op,), f"unknown operator '{op}'{_hint(str(op), OPERATORS)}; use one of {', '.join(OPERATORS)}"
            )
            return None
        want, result = OPERATORS[op]
        args = args if isinstance(args, list) else [args]
        if len(args) != len(want):
            self.err(sub + (op,), f"{op} takes {len(want)} argument(s), found {len(args)}")
            return None
        parsed = []
        for i, (arg, kind) in enumerate(zip(args, want)):
            where = sub + (op, i) if isinstance(spec[op], list) else sub + (op,)
            got = self._arg(arg, where)
            if got is None:
                return None
            value, got_kind = got
            if got_kind != kind:
                self.err(where, f"{op} expects a {kind} as argument {i + 1}, found {got_kind} {arg!r}")
                return None
            if WHOLE_NUMBER_ARGS.get(op) == i and not isinstance(value, (Ref, Expr)) and value != int(value):
                self.err(where, f"{op} needs a whole number, found {arg!r}")
                return None
            parsed.append(value)
        self.uses_dates |= result == "date" or "date" in want
        return Expr(op, tuple(parsed)), result

    def _arg(self, arg: object, where: tuple) -> tuple[object, str] | None:
        if isinstance(arg, dict):
            return self._expr(arg, where)
        if isinstance(arg, str):
            if arg in self.types:
                return Ref(arg), self.types[arg]
            self._fact_error(where, arg)
            return None
        kind = _kind(arg)
        if kind in ("number", "date"):
            return arg, kind
        self.err(where, f"wrong operand type: expected a number, a date or a name, found {kind} {arg!r}")
        return None

    def _read_when(self) -> list[Condition]:
        if "when" not in self.raw:
            return []
        raw = self.raw["when"]
        if not isinstance(raw, dict) or not raw:
            self.err(("when",), "when is empty: give at least one condition, e.g. full_members: {lt: 3}")
            return []
        out = []
        for fact, tests in raw.items():
            sub = ("when", fact)
            if not isinstance(tests, dict) or not tests:
                self.err(sub, f"the condition on '{fact}' must be a mapping {{operator: value}}, e.g. {{lt: 3}}")
                continue
            kind = self.types.get(fact) if fact != TODAY else None
            exists_only = all(op == "exists" for op in tests)
            if kind is None and not (exists_only and fact in self.facts):
                self._fact_error(sub, fact)
                continue
            kind = kind or value_type(self.facts[fact].type)
            for op, operand in tests.items():
                if op not in CONDITION_OPERATORS:
                    self.err(
                        sub + (op,),
                        f"unknown operator '{op}'{_hint(str(op), CONDITION_OPERATORS)}; "
                        f"use one of {', '.join(CONDITION_OPERATORS)}",
                    )
                    continue
                parsed = self._operand(fact, kind, op, operand, sub + (op,))
                if parsed is not None:
                    out.append(Condition(fact, op, parsed))
        return out

    def _operand(self, fact: str, kind: str, op: str, operand: object, where: tuple) -> object:
        def bad(expected: str) -> None:
            self.err(
                where,
                f"wrong operand type for {op} on '{fact}' ({kind}): expected {expected}, "
                f"found {_kind(operand)} {operand!r}",
            )

        if op == "exists":
            return operand if isinstance(operand, bool) else bad("true or false")
        if kind == "bool":
            if op not in ("eq", "ne"):
                return bad("eq or ne with true / false (a yes/no fact has no order)")
            return operand if isinstance(operand, bool) else bad("true or false")
        if kind == "choice":
            choices = self.facts[fact].choices
            if op in ("eq", "ne") and operand in choices:
                return operand
            if op == "in" and isinstance(operand, list) and operand and all(o in choices for o in operand):
                return tuple(operand)
            return bad(
                f"{'a list of ' if op == 'in' else ''}one of {', '.join(choices)}"
                if op in ("eq", "ne", "in")
                else "eq, ne or in (a choice has no order)"
            )
        if op == "in":
            if isinstance(operand, list) and operand and all(_kind(o) == kind for o in operand):
                return tuple(operand)
            return bad(f"a non-empty list of {kind}s")
        if op == "between":
            if not isinstance(operand, list) or len(operand) != 2:
                return bad(f"a list [low, high] of two {kind}s")
            pair = tuple(self._single(kind, o) for o in operand)
            if None in pair:
                return bad(f"a list [low, high] of two {kind}s or names")
            if _kind(pair[0]) == kind and _kind(pair[1]) == kind and pair[0] > pair[1]:
                self.err(where, f"between [{operand[0]}, {operand[1]}]: the low end is above the high end")
                return None
            return pair
        value = self._single(kind, operand)
        return (
            value if value is not None else bad(f"a {kind} or the name of a {kind} (a fact, a computed value or today)")
        )

    def _single(self, kind: str, operand: object) -> object:
        if isinstance(operand, str):
            if self.types.get(operand) == kind:
                self.uses_dates |= operand == TODAY
                return Ref(operand)
            return None
        return operand if _kind(operand) == kind else None

    def _placeholders(self, sub: tuple, text: str | None, extra: tuple = ()) -> None:
        if not text:
            return
        allowed = set(self.needs) | set(self.computed) | self.broken | {TODAY} | set(extra)
        for name in PLACEHOLDER_RE.findall(text):
            if name not in allowed:
                tail = ", {today}, {flip_by} or {flip_to}" if extra else " or {today}"
                self.err(
                    sub,
                    f"unknown placeholder {{{name}}}{_hint(name, allowed)}; "
                    f"use a fact from `needs`, a computed name{tail}",
                )
