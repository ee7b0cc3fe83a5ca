"""Choice and yes/no facts, read from the phrases the vocabulary declares for them.

yes/no: a `no` phrase wins; a `yes` phrase right after a negation word (没有发生事故) means no.
choice: `pick: first` takes the choice named earliest in the text, `pick: listed` the first choice in
the declared order whose phrase is present; `after` reads the fact only once that other fact is known
(and then `default` when no phrase is present). `implies_when_yes` fills facts that follow from a yes.
"""

from __future__ import annotations

import re

from rules.extract.common import Scan
from rules.vocab import Fact

_NEGATION = re.compile(r"(?:没|未|无|不|没有|并没有|从没|从未|不是)(?:发生|出现|出|有)?(?:过)?$")


def _yes_no(fact: Fact, text: str) -> bool | None:
    read = fact.read
    if read.get("when") is not None and not read["when"].search(text):
        return None
    if read.get("no_phrases") is not None and read["no_phrases"].search(text):
        return False
    yes = read.get("yes_phrases")
    if yes is None:
        return None
    for m in yes.finditer(text):
        if not _NEGATION.search(text[max(0, m.start() - 5) : m.start()]) or _NEGATION.match(m[0]):
            return True
        return False
    return None


def _choice(fact: Fact, scan: Scan, text: str) -> str | None:
    read = fact.read
    after = read.get("after")
    if (after and after not in scan.facts) or (read.get("when") is not None and not read["when"].search(text)):
        return None
    found = [
        (m.start(), i, choice)
        for i, (choice, regex) in enumerate(read.get("choices", ()))
        if regex is not None
        for m in [regex.search(text)]
        if m
    ]
    if found:
        key = (lambda f: f[:2]) if read.get("pick", "first") == "first" else (lambda f: f[1])
        return min(found, key=key)[2]
    return read.get("default") if after else None


def mask_phrases(scan: Scan) -> None:
    """Phrases read as a whole ('介绍人是预备党员') must not be read again as a count."""
    for fact in scan.vocab.derived("masked", lambda v: tuple(f for f in v.facts.values() if f.read.get("mask"))):
        if fact.read.get("mask"):
            for key in ("no_phrases", "yes_phrases"):
                if fact.read.get(key) is not None:
                    for m in list(fact.read[key].finditer(scan.text)):
                        scan.mask(m.start(), m.end())


def extract_phrases(scan: Scan, text: str) -> None:
    """Yes/no facts first (they may imply a choice), then choices, in vocabulary order."""
    yes_no, choices = scan.vocab.derived(
        "phrase_facts",
        lambda v: (
            tuple(f for f in v.facts.values() if f.yaml_type == "yes-no"),
            tuple(f for f in v.facts.values() if f.yaml_type == "choice"),
        ),
    )
    for fact in yes_no:
        if fact.name not in scan.facts:
            value = _yes_no(fact, text)
            if value is not None:
                scan.put(fact.name, value)
                if value:
                    for name, implied in fact.read.get("implies_when_yes", {}).items():
                        scan.put(name, implied)
    for fact in choices:
        if fact.name not in scan.facts:
            value = _choice(fact, scan, text)
            if value is not None:
                scan.put(fact.name, value)
