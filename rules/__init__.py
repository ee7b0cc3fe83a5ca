"""Situation checks: YAML policies (rules/*.yaml) run by durable_rules, with verdicts that explain themselves.

from rules import load_policies, Engine
policies, problems = load_policies(Path("rules"))
engine = Engine(policies, version="v1")
verdicts = engine.evaluate("branch_formation", {"full_members": 2}, today)
"""

from rules.engine import Engine
from rules.load_files import load_policies
from rules.policy import InvalidFacts, Policy, PolicySet, Verdict

__all__ = ["Engine", "InvalidFacts", "Policy", "PolicySet", "Verdict", "load_policies"]
