"""Every golden case stored beside the policies in rules/*.yaml, one test each (shown by policy id)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rules import Engine, load_policies
from rules.vocab import default_vocabulary

TOPICS = default_vocabulary().topics

RULES = Path(__file__).resolve().parent.parent / "rules"
POLICIES, PROBLEMS = load_policies(RULES, run_cases=False)
CASES = [(p, c) for p in (POLICIES.policies if POLICIES else ()) for c in p.cases]


@pytest.fixture(scope="module")
def engine():
    e = Engine(POLICIES, version="golden")
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


@pytest.mark.parametrize("policy,case", CASES,
                         ids=[f"{p.id}[{p.cases.index(c)}]-{c.expect}" for p, c in CASES])
def test_golden_case(engine, policy, case):
    assert engine.check_case(policy, case) is None


def test_run_golden_cases_reports_nothing(engine):
    assert engine.run_golden_cases() == []
