"""Every golden case stored beside the policies in rules/*.yaml, one test each (shown by policy id)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from knowledge.normalize import fold
from rules import Engine, load_policies
from rules.vocab import default_vocabulary

TOPICS = default_vocabulary().topics

RULES = Path(__file__).resolve().parent.parent / "rules"
POLICIES, PROBLEMS = load_policies(RULES, run_cases=False)
CASES = [(p, c) for p in (POLICIES.policies if POLICIES else ()) for c in p.cases]


@pytest.fixture(scope="module")
def engine():
    e = Engine(POLICIES, version="golden", fold=fold)
    yield e
    e.close()


def test_policies_load_without_problems():
    assert PROBLEMS == []
    assert POLICIES is not None


def test_policy_count_and_topic_coverage():
    per_topic = Counter(p.topic for p in POLICIES.policies)
    assert len(POLICIES) >= 32
    assert set(per_topic) == set(TOPICS)


def test_local_practices_say_so():
    for p in POLICIES.policies:
        if p.topic in ("required_visit", "weak_org"):
            assert p.local_practice, p.id
            assert "以本地规定为准" in p.message, p.id


@pytest.mark.parametrize("policy,case", CASES, ids=[f"{p.id}[{p.cases.index(c)}]-{c.expect}" for p, c in CASES])
def test_golden_case(engine, policy, case):
    assert engine.check_case(policy, case) is None


TEXT_CASES = [(p, c) for p in (POLICIES.policies if POLICIES else ()) for c in p.text_cases]


@pytest.mark.parametrize(
    "policy,case", TEXT_CASES, ids=[f"{p.id}[{p.text_cases.index(c)}]-{c.text}" for p, c in TEXT_CASES]
)
def test_text_case(engine, policy, case):
    assert engine.check_text_case(policy, case) is None


def test_every_policy_has_three_free_text_cases_in_both_scripts():
    from knowledge.normalize import detect_script

    for p in POLICIES.policies:
        firing = [c for c in p.text_cases if c.expect == p.outcome]
        assert len(firing) >= 3, p.id
        assert {detect_script(c.text) for c in p.text_cases} == {"simplified", "traditional"}, p.id


def test_run_golden_cases_reports_nothing(engine):
    assert engine.run_golden_cases() == []
