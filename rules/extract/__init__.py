"""The fact extractor: turn a user's situation into a topic and typed facts (no LLM, no I/O).

Every fact, its type and the phrases that signal it come from the vocabulary (rules/vocabulary/*.yaml,
see rules.vocab); this package holds only generic typed readers: numbers (counts, money, with
千/万/整/正好/左右/多, Chinese and full-width numerals), dates, durations, choices and yes/no with
negation. extract() reads free text; echo() shows back what was understood; parse_facts() reads
`name=value` pairs given on the command line; fill_asked() reads a short reply to a follow-up
question. Validation (ranges, dates, cross-fact checks) is rules.validate, shared with the engine.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from rules.extract.answers import fill_asked
from rules.extract.common import Scan, approximate_count, approximate_money, normalize, range_figures
from rules.extract.counts import extract_counts, extract_pattern_counts
from rules.extract.dates import extract_dates
from rules.extract.durations import extract_durations
from rules.extract.phrases import extract_phrases, mask_phrases
from rules.extract.topic import infer_topic
from rules.validate import coerce, cross_problems, range_problem, show_date, show_number
from rules.vocab import Vocabulary, default_vocabulary

__all__ = ["Extraction", "echo", "extract", "fill_asked", "parse_facts"]


@dataclass(frozen=True)
class Extraction:
    """What was read from one message."""

    topic: str | None  # a topic of the vocabulary, or None when the text is not a situation
    facts: dict[str, object]  # fact name -> int | float | bool | str (choice) | date
    problems: tuple[str, ...] = ()  # Chinese messages for absurd or contradictory input
    written: dict[str, str] = field(default_factory=dict)  # date fact -> the date as written (2025年12月)


def extract(text: str, today: date, vocab: Vocabulary | None = None) -> Extraction:
    """Read the topic and facts of a situation. Works on pipeline-normalized or raw simplified text."""
    vocab = vocab or default_vocabulary()
    original = normalize(text)
    scan = Scan(original, today, vocab)
    extract_dates(scan, original)  # first: dates contain numbers and 月/日
    extract_pattern_counts(scan, early=True)  # numbers with their own unit: 17周岁, 工资5000
    extract_durations(scan, original)
    mask_phrases(scan)
    extract_counts(scan)
    extract_phrases(scan, original)
    _check(scan)
    return Extraction(
        infer_topic(vocab, original, scan.facts), dict(scan.facts), tuple(scan.problems), dict(scan.written)
    )


def _check(scan: Scan) -> None:
    """Out-of-range values are dropped and reported; contradictions are reported (facts kept)."""
    for name in list(scan.facts):
        fact = scan.vocab.facts[name]
        message = range_problem(fact, scan.facts[name])
        if message:
            scan.problem(message)
            del scan.facts[name]
        elif fact.type == "int" and isinstance(scan.facts[name], float):
            scan.facts[name] = int(scan.facts[name])
    problems = cross_problems(scan.vocab, scan.facts)
    for message in problems:
        scan.problem(message)
    if not problems:
        _derive_sums(scan)


def _derive_sums(scan: Scan) -> None:
    """The one missing fact of a declared sum (正式党员 + 预备党员 = 党员总数): 「7名党员其中2名是预备党员」 gives
    5 正式党员, 「正式48名，预备5名」 53 in all."""
    for check in scan.vocab.checks:
        if check.op != "equals" or check.when or len(check.facts) < 2:
            continue
        known = {name: scan.facts[name] for name in check.names if isinstance(scan.facts.get(name), int)}
        missing = [name for name in check.names if name not in scan.facts]
        if len(missing) != 1 or len(known) != len(check.names) - 1:
            continue
        name = missing[0]
        if name == check.other:
            value = sum(known.values())
        else:
            value = known[check.other] - sum(v for k, v in known.items() if k != check.other)
        if value >= 0:
            scan.put(name, value)


# --- echo -------------------------------------------------------------------------------------


def show_value(name: str, value: object, vocab: Vocabulary | None = None) -> str:
    """One fact's value as shown to the user: 2 名, 2025年3月1日, 是, 企业."""
    fact = (vocab or default_vocabulary()).facts[name]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return show_date(value)
    if isinstance(value, (int, float)):
        return f"{show_number(value)} {fact.unit}".rstrip()
    return str(value)


def echo(facts: dict[str, object], vocab: Vocabulary | None = None) -> str:
    """'我理解为：正式党员 2 名；单位类型 企业。' in vocabulary order; '' when there is nothing."""
    vocab = vocab or default_vocabulary()
    parts = [
        f"{vocab.facts[name].label} {show_value(name, facts[name], vocab)}" for name in vocab.facts if name in facts
    ]
    parts += [f"{name} {facts[name]}" for name in facts if name not in vocab.facts]
    return f"我理解为：{'；'.join(parts)}。" if parts else ""


# --- parse_facts ------------------------------------------------------------------------------

_EXPECTED = {"yes-no": "expected a boolean", "choice": "expected one of", "date": "expected a date YYYY-MM-DD"}


def parse_facts(pairs: dict[str, str], vocab: Vocabulary | None = None) -> tuple[dict[str, object], list[str]]:
    """Typed facts from `name=value` strings, and a problem for each unknown name or bad value.

    The key 'topic' is not a fact and is skipped (the caller reads it). Only typing and ranges are
    checked here; the cross-fact checks run in the engine (rules.validate), as for free text."""
    vocab = vocab or default_vocabulary()
    facts: dict[str, object] = {}
    problems: list[str] = []
    for name, raw in pairs.items():
        if name == "topic":
            continue
        fact = vocab.facts.get(name)
        if fact is None:
            problems.append(f"未知的事实名：{name} / unknown fact name: {name}")
            continue
        try:
            value = coerce(fact, str(raw))
        except ValueError as error:
            problems.append(
                f"{error} / {name}: {_EXPECTED.get(fact.yaml_type, 'expected a number')}"
                + (f" {', '.join(fact.choices)}" if fact.yaml_type == "choice" else "")
            )
            continue
        problem = range_problem(fact, value)
        if problem:
            problems.append(f"{problem} / {name}: {raw} is out of range")
        else:
            facts[name] = value
    return facts, problems


def approximate_fact(
    text: str, facts: dict[str, object], written: dict[str, str], vocab: Vocabulary | None = None
) -> tuple[str, tuple] | None:
    """(fact, the values it may have) when the message gives a figure only roughly: a range (2-3名), an amount
    a little above or about a figure (5000多, 8000左右), a date by its month or year only (`written`, from
    Extraction.written: 2025年12月), a count about a figure (约50人); else None. The pipeline asks for the exact
    figure when the verdict would differ across those values (dues bands meet at round numbers)."""
    vocab = vocab or default_vocabulary()
    ends = range_figures(text)  # 正式党员2-3名, 工资5000-6000: the figure read is one end, the verdict may differ
    if ends is not None:
        ranged = [
            name
            for name, value in facts.items()
            if value in ends
            and not isinstance(value, bool)
            and vocab.facts[name].yaml_type in ("count", "money", "duration")
        ]
        if len(ranged) == 1:
            return ranged[0], tuple(int(e) if vocab.facts[ranged[0]].type == "int" else e for e in ends)
    how = approximate_money(text)
    money = [name for name, value in facts.items() if value is not None and vocab.facts[name].yaml_type == "money"]
    if how is not None and len(money) == 1:
        value = facts[money[0]]
        return money[0], (value, value + 1) if how == "above" else (value - 1, value, value + 1)
    imprecise = _imprecise_date(facts, written)  # 2025年12月: any day of it
    if imprecise is not None:
        return imprecise
    about = approximate_count(text)  # 约50人: 49 or 51 may be another verdict (设总支 from 50)
    counts = [
        name
        for name, value in facts.items()
        if value == about and vocab.facts[name].yaml_type in ("count", "duration") and not isinstance(value, bool)
    ]
    if about is not None and len(counts) == 1:
        return counts[0], (about - 1, about, about + 1)
    return None


_PRECISE = re.compile(r"[日号旬底末初中]|前(?!年)|[今昨]天|[-/.]\d")  # to the day or a part of a month (前年 is a year)
_TO_MONTH = re.compile(r"至\s*(\d{1,2})\s*月")  # 2023年11至12月 (normalized from 11、12月): the later month


def _imprecise_date(facts: dict[str, object], written: dict[str, str]) -> tuple[str, tuple] | None:
    """(date fact, its first and last possible day) when the date it was read from names only a month (read as
    the 1st) or only a year (read as 1 January); None otherwise, or when several facts are so."""
    found = []
    for name, as_written in written.items():
        value = facts.get(name)
        if not isinstance(value, date) or _PRECISE.search(as_written) or not ("月" in as_written or "年" in as_written):
            continue  # to the day, or relative days (上周, 昨天): as exact as the message is
        if "月" not in as_written:  # 2021年, 去年: any day of the year
            found.append((name, (value, date(value.year, 12, 31))))
            continue
        later = _TO_MONTH.search(as_written)
        month = int(later[1]) if later and int(later[1]) >= value.month else value.month
        found.append((name, (value, date(value.year, month, calendar.monthrange(value.year, month)[1]))))
    return found[0] if len(found) == 1 else None
