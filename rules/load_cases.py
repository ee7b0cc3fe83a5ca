"""Golden cases of a policy: structured (`cases`: facts in, outcome out) and free text (`text_cases`).

A mixin of the policy reader in rules/load.py: it validates the cases' fields and locates every problem.
"""

from __future__ import annotations

import datetime as dt
import difflib

from common.problems import format_path
from rules.policy import CASE_EXPECTS, OUTCOMES, Case, TextCase

CASE_FIELDS = ("facts", "expect", "today", "says")
TEXT_CASE_FIELDS = ("text", "expect", "today", "says")


# Spelling hints for unknown names (also used by rules/load.py).
ALIASES = {
    "less": "lt",
    "less_than": "lt",
    "<": "lt",
    "<=": "lte",
    "greater": "gt",
    "more": "gt",
    "greater_than": "gt",
    ">": "gt",
    ">=": "gte",
    "equal": "eq",
    "equals": "eq",
    "==": "eq",
    "=": "eq",
    "not": "ne",
    "neq": "ne",
    "!=": "ne",
    "range": "between",
    "one_of": "in",
    "minus": "sub",
    "plus": "add",
    "times": "mul",
    "divide": "div",
    "round_up": "ceil",
}


def _hint(name: str, known) -> str:
    known = list(known)
    guess = ALIASES.get(name.lower().lstrip("$"), name.lower().lstrip("$"))
    if guess in known and guess != name:
        return f" (did you mean '{guess}'?)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


class CaseReader:
    """Needs from its subclass: raw, facts, uses_dates, doc, path and err()."""

    def _read_cases(self, outcome: object) -> list[Case]:
        raw = self.raw.get("cases")
        if raw is None:
            return []
        if not isinstance(raw, list) or not raw:
            self.err(("cases",), "cases must be a non-empty list of {facts: ..., expect: ...}")
            return []
        out = []
        for i, case in enumerate(raw):
            sub = ("cases", i)
            if not isinstance(case, dict):
                self.err(sub, "a case is a mapping {facts: {...}, expect: ...}")
                continue
            for key in case:
                if key not in CASE_FIELDS:
                    self.err(sub + (key,), f"unknown field '{key}'; a case has {', '.join(CASE_FIELDS)}")
            facts, expect, today = case.get("facts"), case.get("expect"), case.get("today")
            if not isinstance(facts, dict):
                self.err(sub, "a case needs `facts:`, a mapping of fact -> value")
                continue
            for name in facts:
                if name not in self.facts:
                    self.err(sub + ("facts", name), f"unknown fact '{name}'{_hint(str(name), self.facts)}")
            if expect not in CASE_EXPECTS:
                self.err(sub, f"a case needs `expect:`, one of {', '.join(CASE_EXPECTS)}; found {expect!r}")
            elif expect in OUTCOMES and expect != outcome:
                self.err(sub + ("expect",), f"expect '{expect}' but this policy's outcome is '{outcome}'")
            if today is not None and not isinstance(today, dt.date):
                self.err(sub + ("today",), f"today must be a date like 2025-06-01, found {today!r}")
            elif today is None and self.uses_dates:
                self.err(
                    sub,
                    "this policy uses dates: give the case a `today: YYYY-MM-DD` so it does not "
                    "depend on the day it runs",
                )
            says = case.get("says", ())
            says = (says,) if isinstance(says, str) else says
            if not isinstance(says, (list, tuple)) or not all(isinstance(s, str) for s in says):
                self.err(sub + ("says",), "says must be a text or a list of texts")
                says = ()
            out.append(
                Case(
                    dict(facts),
                    expect,
                    today,
                    tuple(says),
                    self.doc.file,
                    self.doc.line(self.path + sub),
                    format_path(self.path + sub),
                )
            )
        if outcome in OUTCOMES and out and not any(c.expect == outcome for c in out):
            self.err(("cases",), f"no case shows this policy firing: add one with `expect: {outcome}`")
        return out

    def _read_text_cases(self, outcome: object) -> list[TextCase]:
        """Free-text golden cases: a message as a user types it, run through extraction -> engine."""
        raw = self.raw.get("text_cases", [])
        if not isinstance(raw, list):
            self.err(("text_cases",), "text_cases must be a list of {text: ..., expect: ...}")
            return []
        out = []
        for i, case in enumerate(raw):
            sub = ("text_cases", i)
            if not isinstance(case, dict) or not isinstance(case.get("text"), str) or not case["text"].strip():
                self.err(sub, "a text case is a mapping {text: the message, expect: ...}")
                continue
            for key in case:
                if key not in TEXT_CASE_FIELDS:
                    self.err(sub + (key,), f"unknown field '{key}'; a text case has {', '.join(TEXT_CASE_FIELDS)}")
            expect, today = case.get("expect"), case.get("today")
            if expect not in CASE_EXPECTS:
                self.err(sub, f"a text case needs `expect:`, one of {', '.join(CASE_EXPECTS)}; found {expect!r}")
            elif expect in OUTCOMES and expect != outcome:
                self.err(sub + ("expect",), f"expect '{expect}' but this policy's outcome is '{outcome}'")
            if today is not None and not isinstance(today, dt.date):
                self.err(sub + ("today",), f"today must be a date like 2025-06-01, found {today!r}")
            elif today is None and self.uses_dates:
                self.err(sub, "this policy uses dates: give the text case a `today: YYYY-MM-DD`")
            says = case.get("says", ())
            says = (says,) if isinstance(says, str) else tuple(says) if isinstance(says, list) else ()
            out.append(
                TextCase(
                    case["text"],
                    expect,
                    today,
                    says,
                    self.doc.file,
                    self.doc.line(self.path + sub),
                    format_path(self.path + sub),
                )
            )
        return out
