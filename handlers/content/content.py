"""Everything the bot answers from, loaded and validated together: knowledge base, index, policies.

A Content is immutable; hot reload builds a new one and swaps the reference, so a question in flight
finishes on the version it started with.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from common.problems import Problem
from knowledge.cache import load_knowledge_cached
from knowledge.load import KnowledgeBase, load_knowledge
from knowledge.match import Matcher
from knowledge.normalize import fold
from knowledge.batch_rank import rank_many
from reminders.load import ReminderSet, load_reminders
from rules import Engine, load_policies

_versions = itertools.count(1)


@dataclass(frozen=True)
class Content:
    """One loaded, validated version of the knowledge base and the policies."""

    kb: KnowledgeBase
    matcher: Matcher
    engine: Engine | None
    version: str
    reminders: ReminderSet | None = None
    loaded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def policy_count(self) -> int:
        return len(self.engine.policies.policies) if self.engine else 0

    def close(self) -> None:
        """Free the compiled rulesets (call once no answer is still using this version)."""
        if self.engine is not None:
            self.engine.close()

    def summary(self) -> str:
        return (
            f"{len(self.kb.entries)} entries in {len(self.kb.files)} files, "
            f"{len(self.kb.synonyms)} synonym groups, {self.policy_count} policies (version {self.version})"
        )


def new_engine(policies) -> Engine:
    """Compile policies into an Engine whose durable_rules rulesets have names no other version uses."""
    return Engine(policies, version=f"v{next(_versions)}", fold=fold)


def load_content(
    root: Path, with_rules: bool = True, run_cases: bool = True, cache: bool = False
) -> tuple[Content | None, list[Problem]]:
    """Load knowledge/ and rules/ below root; (None, problems) when anything is invalid.

    `run_cases=False` skips the policies' golden cases (for callers that run them through validate()).
    `cache=True` (the bot's own start-up): the knowledge base and its matcher come from root/.cache when the
    YAML and the code are unchanged (knowledge/cache.py).
    """
    if cache:
        kb, matcher, problems = load_knowledge_cached(root / "knowledge", root)
        problems = list(problems)
    else:
        kb, problems = load_knowledge(root / "knowledge", root)
        matcher = None
    reminders = None
    if (root / "knowledge" / "reminders.yaml").exists():
        reminders, reminder_problems = load_reminders(root / "knowledge", root)
        problems += reminder_problems
    engine = None
    digest = hashlib.sha256((kb.version if kb else "").encode())
    if with_rules:
        # Policies cite the same sources registry as the entries: pass the one the knowledge base loaded (when it
        # could not load, the policy loader reads root/knowledge/sources.yaml itself and reports its problems).
        registry = kb.sources if kb is not None and kb.sources else None
        policies, rule_problems = load_policies(
            root / "rules", run_cases=run_cases, root=root, fold=fold, registry=registry
        )
        problems += [p for p in rule_problems if p not in problems]  # a broken registry is reported once
        if policies is not None and kb is not None and not _errors(problems):
            for path in sorted((root / "rules").glob("*.yaml")) + sorted(
                (root / "rules" / "vocabulary").glob("*.yaml")
            ):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            engine = new_engine(policies)
    if kb is None or _errors(problems):
        if engine:
            engine.close()
        return None, problems
    for special in ("reminders.yaml", "holidays.yaml"):
        if (root / "knowledge" / special).exists():
            digest.update(special.encode() + b"\0" + (root / "knowledge" / special).read_bytes())
    return Content(kb, matcher or Matcher(kb), engine, digest.hexdigest()[:12], reminders), problems


def _errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


class MemoRanker:
    """A matcher whose rank() results are remembered, so the self-test and the lint rank each question once."""

    def __init__(self, matcher: Matcher):
        self.matcher = matcher
        self._memo: dict[tuple[str, int], list] = {}

    def prefill(self, normalized: list[str], limit: int) -> None:
        """Rank many questions together (knowledge.batch_rank: exactly rank()'s results, far faster than one
        by one: a 10,000-entry self-test went from ~26 s to about a second) and remember them."""
        todo = list(dict.fromkeys(q for q in normalized if (q, limit) not in self._memo))
        for question, ranked in zip(todo, rank_many(self.matcher, todo, limit)):
            self._memo[(question, limit)] = ranked

    def rank(self, normalized: str, limit: int = 5):
        key = (normalized, limit)
        if key not in self._memo:
            self._memo[key] = self.matcher.rank(normalized, limit)
        return self._memo[key]

    def __getattr__(self, name):
        return getattr(self.matcher, name)


SELF_TEST_DEPTH = 2  # the own entry and its best rival: what the self-test and the lint's tie check read


def example_questions(content: Content) -> list[str]:
    """Every example question of every entry, normalized, in entry order."""
    return content.matcher.normalize_known([q for entry in content.kb.entries for q in entry.questions])


def self_test(content: Content, ranker=None) -> list[Problem]:
    """Every example question of every entry must rank its own entry first, confidently."""
    ranker = ranker or content.matcher
    problems = []
    normalized = iter(example_questions(content))
    for entry in content.kb.entries:
        for i, question in enumerate(entry.questions):
            ranked = ranker.rank(next(normalized), limit=SELF_TEST_DEPTH)
            top = ranked[0] if ranked else None
            if top is None or top.entry_id != entry.id:
                got = f"{top.entry_id} ({top.raw:.2f})" if top else "nothing"
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"{entry.id}.questions[{i}]",
                        f"example question '{question}' ranks {got} first, not its own entry",
                    )
                )
            elif not top.accepted:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"{entry.id}.questions[{i}]",
                        f"example question '{question}' matches its entry only weakly ({top.raw:.2f})",
                    )
                )
    return problems
