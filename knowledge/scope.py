"""Scope guard: questions about other organizations are declined with a pointer, not matched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.problems import InvalidData, Problem
from common.yamlload import Loaded, load_yaml
from knowledge.normalize import normalize_text

SCOPE_FILE = "scope.yaml"


@dataclass(frozen=True)
class Outside:
    terms: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class Scope:
    """Party terms, the outside topics with their hints, and the decisive terms."""

    party_terms: tuple[str, ...] = ()
    outside: tuple[Outside, ...] = ()
    decisive: tuple[str, ...] = ()  # a question with one of these is answered only by an entry that mentions it

    def outside_hint(self, normalized: str) -> str | None:
        """The hint of the first outside topic the question is about, unless it is also about the Party."""
        for topic in self.outside:
            hits = [t for t in topic.terms if t in normalized]
            if not hits:
                continue
            rest = normalized
            for term in sorted(hits, key=len, reverse=True):
                rest = rest.replace(term, " ")
            if not any(p in rest for p in self.party_terms):
                return topic.hint
        return None


def _texts(doc: Loaded, path: tuple, value: object, problems: list[Problem]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(doc.problem(path, "expected a non-empty list of text"))
        return ()
    return tuple(normalize_text(v) for v in value)


def parse_scope(doc: Loaded, problems: list[Problem]) -> Scope:
    data = doc.data
    if not isinstance(data, dict):
        problems.append(doc.problem((), "expected a mapping with version, party_terms and outside"))
        return Scope()
    for key in data:
        if key not in ("version", "party_terms", "outside", "decisive_terms"):
            problems.append(
                doc.problem((key,), "unknown top-level field (expected version, party_terms, outside, decisive_terms)")
            )
    party = _texts(doc, ("party_terms",), data.get("party_terms"), problems)
    topics = []
    raw = data.get("outside")
    if not isinstance(raw, list):
        problems.append(doc.problem(("outside",), "expected a list of {terms, hint}"))
        raw = []
    for i, item in enumerate(raw):
        path = ("outside", i)
        if not isinstance(item, dict) or set(item) != {"terms", "hint"}:
            problems.append(doc.problem(path, "expected exactly the fields terms and hint"))
            continue
        terms = _texts(doc, path + ("terms",), item["terms"], problems)
        if not isinstance(item["hint"], str) or not item["hint"].strip():
            problems.append(doc.problem(path + ("hint",), "expected text"))
            continue
        topics.append(Outside(terms, item["hint"].strip()))
    decisive = _texts(doc, ("decisive_terms",), data["decisive_terms"], problems) if "decisive_terms" in data else ()
    return Scope(party, tuple(topics), decisive)


def load_scope(folder: Path, display: str) -> tuple[Scope, list[Problem]]:
    """Read folder/scope.yaml if present (an empty Scope otherwise)."""
    path = folder / SCOPE_FILE
    if not path.exists():
        return Scope(), []
    problems: list[Problem] = []
    try:
        scope = parse_scope(load_yaml(path, display), problems)
    except InvalidData as exc:
        return Scope(), exc.problems
    return scope, problems
