"""The answer-quality question sets (benchmarks/eval_sets.py) stay usable as the knowledge base changes, and are
scored as documented."""

import hashlib

import pytest

from benchmarks.eval_sets import Case, Outcome, load_cases, load_fresh, score


FRESH = ["development", "held_out", "round2", "round3", "round4", "round5"]


def _sets():
    return {"eval": load_cases(), **{name: load_fresh(name) for name in FRESH}}


@pytest.mark.parametrize("name", ["eval", *FRESH])
def test_every_accepted_entry_exists(content, name):
    ids = {entry.id for entry in content.kb.entries}
    unknown = sorted({e for case in _sets()[name] for e in case.accept} - ids)
    assert not unknown, f"{name}: accept names entries the knowledge base does not have: {unknown}"


def test_the_fresh_halves_are_the_hash_split_of_one_set():
    development, held_out = load_fresh("development"), load_fresh("held_out")
    assert development and held_out
    assert not {c.q for c in development} & {c.q for c in held_out}

    def half(case):
        return "development" if hashlib.sha1(case.q.encode("utf-8")).digest()[0] % 2 else "held_out"

    assert {half(c) for c in development} == {"development"}
    assert {half(c) for c in held_out} == {"held_out"}


def test_a_fresh_question_is_in_scope_exactly_when_some_entry_answers_it():
    for case in load_fresh("development") + load_fresh("held_out"):
        assert (case.set == "in_scope") == bool(case.accept)


def test_an_entry_offered_but_not_answered_counts_only_as_one_reply_away():
    cases = [Case("甲", ("a",), "in_scope"), Case("乙", ("b",), "in_scope"), Case("丙", ("c",), "in_scope")]
    outcomes = {
        "甲": Outcome("answer", ("a",)),  # right
        "乙": Outcome("choose", ("x", "b")),  # offered in a choice
        "丙": Outcome("decline", related=("y", "c")),  # offered as related
    }
    figures = score(cases, outcomes.__getitem__)
    assert figures["in_scope_right"] == 33.3
    assert figures["in_scope_right_or_choice"] == 66.7
    assert figures["in_scope_one_reply_away"] == 100.0


def test_a_related_entry_is_not_a_wrong_answer_to_a_question_no_entry_answers():
    cases = [Case("丁", (), "not_covered"), Case("戊", (), "not_covered")]
    outcomes = {"丁": Outcome("decline", related=("a",)), "戊": Outcome("answer", ("a",))}
    figures = score(cases, outcomes.__getitem__)
    assert figures["not_covered_wrong"] == 50.0 and figures["overall"] == 50.0
