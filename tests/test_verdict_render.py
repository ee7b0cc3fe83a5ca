"""A verdict is shown as an entry is: no 「待核实」 caveat, the policy's note, the registry-rendered source line."""

from __future__ import annotations

import pytest

from handlers.core.render import LOCAL_NOTE, verdict_text
from rules import load_policies
from rules.policy import Verdict
from tests.conftest import ROOT

POLICIES, _ = load_policies(ROOT / "rules", run_cases=False)


def verdict(**changes) -> Verdict:
    base = dict(
        rule_id="t.x",
        topic="election",
        outcome="fail",
        message="未当选",
        reasons=(),
        computed={},
        arithmetic=(),
        flip=None,
        next_steps=(),
        source="《中国共产党基层组织选举工作条例》（2020年）",
        verified=True,
        local_practice=False,
        facts={},
    )
    return Verdict(**{**base, **changes})


# (verdict fields, lines that must appear, texts that must not)
CASES = [
    ({}, ["来源：《中国共产党基层组织选举工作条例》（2020年）"], ["待核实", "ℹ️"]),
    ({"verified": False}, ["来源："], ["待核实"]),
    (
        {"verified": False, "note": "以实到会人数为基数依据1990年暂行条例"},
        ["  ℹ️ 以实到会人数为基数依据1990年暂行条例"],
        ["待核实"],
    ),
    ({"local_practice": True}, ["  " + LOCAL_NOTE], ["待核实"]),
]


@pytest.mark.parametrize("changes, present, absent", CASES)
def test_verdict_text(changes, present, absent):
    text = verdict_text(verdict(**changes))
    lines = text.splitlines()
    for line in present:
        assert any(line in shown for shown in lines), (line, text)
    for word in absent:
        assert word not in text


def test_every_shipped_policy_renders_its_source_from_the_registry():
    assert POLICIES is not None
    for policy in POLICIES.policies:
        assert policy.citations, policy.id
        assert policy.source.startswith("《"), policy.id  # a document title, never an internal name
        assert "种子材料" not in policy.source and "待核实" not in policy.source, policy.id
        if not policy.verified:  # an unchecked article number is left out
            assert not any(c.article and c.article in policy.source for c in policy.citations), policy.id


@pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.yaml")), ids=lambda p: p.name)
def test_no_user_visible_policy_text_says_unverified_or_seed(path):
    text = path.read_text(encoding="utf-8")
    for word in ("待核实", "种子材料", "shared/facts.md"):
        assert word not in text, f"{path.name}: {word}"
