"""Compile validated policies into durable_rules ruleset dicts (pure data, no durable import).

One ruleset per topic, named `zhibu_<version>_<topic>`; one rule per policy, named by the policy id.
The engine asserts a single fact per evaluation holding the topic, `today` (an ordinal), every typed
fact, and each evaluable policy's computed values under `c<index>__<name>` (policies may reuse names).

Every rule starts with positive conditions (topic equality and `$ex` of each needed fact and computed
value), so no rule is `$nex`-only; `in` becomes an `$or` of `$eq`, `between` a `$gte` plus a `$lte`,
and `ne` is durable's `$neq`.
"""

from __future__ import annotations

import re

from rules.compute import engine_value
from rules.policy import Condition, Policy, Ref

_OPS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "eq": "$eq", "ne": "$neq"}


def ruleset_name(version: str, topic: str) -> str:
    return f"zhibu_{clean_version(version)}_{topic}"


def clean_version(version: object) -> str:
    """A version label safe inside a ruleset name."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(version)) or "v"
    return text


def computed_key(index: int, name: str) -> str:
    """Where policy number `index` (within its topic) keeps computed value `name` in the asserted fact."""
    return f"c{index}__{name}"


def key_for(policy: Policy, index: int, name: str) -> str:
    """The fact-field name of a fact, a computed value or today."""
    if name in policy.computed_names:
        return computed_key(index, name)
    return name


def _operand(policy: Policy, index: int, value: object) -> object:
    if isinstance(value, Ref):
        return {"$m": key_for(policy, index, value.name)}
    return engine_value(value)


def compile_condition(policy: Policy, index: int, cond: Condition) -> list[dict]:
    """One `when` condition -> the durable expressions it needs (all must hold)."""
    key = key_for(policy, index, cond.fact)
    if cond.op == "exists":
        return [{"$ex" if cond.operand else "$nex": {key: 1}}]
    if cond.op == "in":
        return [{"$or": [{"$eq": {key: _operand(policy, index, v)}} for v in cond.operand]}]
    if cond.op == "between":
        low, high = cond.operand
        return [{"$gte": {key: _operand(policy, index, low)}}, {"$lte": {key: _operand(policy, index, high)}}]
    return [{_OPS[cond.op]: {key: _operand(policy, index, cond.operand)}}]


def compile_policy(policy: Policy, index: int) -> dict:
    """A durable rule (without its action) for one policy."""
    terms: list[dict] = [{"$eq": {"topic": policy.topic}}]
    terms += [{"$ex": {name: 1}} for name in policy.need_names]
    terms += [{"$ex": {computed_key(index, name): 1}} for name in policy.computed_names]
    for cond in policy.when:
        terms += compile_condition(policy, index, cond)
    return {"all": [{"m": {"$and": terms}}]}


SEEN = "_seen"


def compile_topic(topic: str, policies: tuple[Policy, ...]) -> dict:
    """{policy id: rule} for the policies of one topic, in order (the index is the position here).

    Plus a sentinel rule `_seen` that matches every fact of the topic: durable_rules 2.0.28 crashes the
    process (segfault) when `delete_state` follows an assert that matched no rule, so every assert must
    match something. Policy ids cannot start with "_", so the sentinel never clashes with one.
    """
    rules = {policy.id: compile_policy(policy, index) for index, policy in enumerate(policies)}
    rules[SEEN] = {"all": [{"m": {"$eq": {"topic": topic}}}]}
    return rules
