"""The issue-14 question sets (tests/data/eval/*.yaml), their deterministic tuning/frozen split, and scoring;
and the fresh sets (tests/data/fresh/: a development half, a held-out half and two later rounds, see load_fresh).

Each case is a question and `accept`, the entry ids that correctly answer it (empty: the right behaviour is
to decline). A case belongs to the frozen split when the first byte of the SHA-1 of its text is odd: no
threshold or synonym is fitted on those; the tuning split is the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"
FRESH_DIR = EVAL_DIR.parent / "fresh"
SETS = ("in_scope", "out_of_domain", "not_covered")
FILES = {
    "in_scope": "in_scope",
    "out_of_domain": "out_of_domain",
    "not_covered": "not_covered",
    "not_covered_more": "not_covered",
}  # file -> the set its cases start in


@dataclass(frozen=True)
class Case:
    q: str
    accept: tuple[str, ...]
    set: str

    @property
    def split(self) -> str:
        return "frozen" if hashlib.sha1(self.q.encode("utf-8")).digest()[0] % 2 else "tuning"


@dataclass(frozen=True)
class Outcome:
    """What a system did with one question: answered (one entry), chose (asked between entries), or declined."""

    kind: str  # answer | choose | decline
    entries: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # a decline's entries offered as related (one reply away, not the answer)


def load_cases(folder: Path = EVAL_DIR) -> list[Case]:
    """Every case of every file. A question written as "not covered" that the knowledge base has since come to
    answer (a non-empty `accept`) is scored as in scope: whether the KB covers it is what decides its set."""
    cases = []
    for name, start in FILES.items():
        path = folder / f"{name}.yaml"
        if path.exists():
            cases += _read(path, start)
    return cases


def _read(path: Path, start: str) -> list[Case]:
    """The cases of one file; a "not covered" question some entry answers (non-empty `accept`) is in scope."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for c in data["cases"]:
        accept = tuple(c.get("accept") or ())
        cases.append(Case(str(c["q"]), accept, "in_scope" if start == "not_covered" and accept else start))
    return cases


def load_fresh(half: str, folder: Path = FRESH_DIR) -> list[Case]:
    """One fresh set: "development" or "held_out" (the two halves of the first round), or "round2" to "round5" (later
    rounds, each measured once when written, then used as development data). In scope when some entry answers the
    question."""
    return _read(folder / f"{half}.yaml", "not_covered")


def split(cases: list[Case], which: str) -> list[Case]:
    return [c for c in cases if c.split == which]


def score(cases: list[Case], system: Callable[[str], Outcome]) -> dict:
    """The issue's figures for one system over some cases (shares in percent).

    - in_scope_right: in-scope questions answered with an accepted entry (a choice between two entries
      counts as right only in `in_scope_right_or_choice`);
    - in_scope_one_reply_away: in-scope questions answered right, or offered an accepted entry in a choice or
      among a decline's related entries (the user gets the answer with one more reply, told it is related);
    - out_of_domain_declined: out-of-domain questions not answered and not offered as a choice;
    - not_covered_wrong: not-covered questions answered with an entry not in `accept`, or offered a choice
      of which no option is in `accept` (a confident-looking wrong answer, the issue's failure);
    - overall: the share of all cases handled right (in scope: the right entry; otherwise: declined or an
      accepted entry).
    """
    tally = {name: [0, 0] for name in SETS}
    chosen_right = offered_right = wrong_nc = overall = 0
    for case in cases:
        out = system(case.q)
        good = out.kind == "answer" and out.entries[0] in case.accept
        if case.set == "in_scope":
            chosen = good or (out.kind == "choose" and any(e in case.accept for e in out.entries))
            chosen_right += chosen
            offered_right += chosen or any(e in case.accept for e in out.related)
        elif case.set == "out_of_domain":
            good = out.kind == "decline"
        else:
            if out.kind == "decline":
                good = not case.accept or good
            elif not any(e in case.accept for e in out.entries):
                wrong_nc += 1
        tally[case.set][0] += good
        tally[case.set][1] += 1
        overall += good

    def pct(a: int, b: int) -> float:
        return round(100 * a / b, 1) if b else 0.0

    return {
        "in_scope_right": pct(*tally["in_scope"]),
        "in_scope_right_or_choice": pct(chosen_right, tally["in_scope"][1]),
        "in_scope_one_reply_away": pct(offered_right, tally["in_scope"][1]),
        "out_of_domain_declined": pct(*tally["out_of_domain"]),
        "not_covered_wrong": pct(wrong_nc, tally["not_covered"][1]),
        "overall": pct(overall, len(cases)),
        "n": {name: tally[name][1] for name in SETS},
    }
