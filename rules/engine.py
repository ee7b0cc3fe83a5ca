"""The only module that imports durable_rules: compile policies into a Host, evaluate situations.

durable_rules traps handled here (see docs/architecture.md, "durable_rules wrapped once"):
- the situation is asserted as ONE fact (every matching rule fires), under a session id unique to the
  evaluation, and the session state is deleted afterwards (the 1,025th live session raises MemoryError);
- actions take one argument and only record the rule id; all logic and wording live in Python;
- facts are converted to their declared types first (dates become ordinals);
- no match raises MessageNotHandledException ("no verdict"), and `delete_state` after such an assert
  segfaults (found here, not in the notes): each topic's ruleset therefore has a sentinel rule `_seen`
  matching every fact of the topic, so every assert matches and its session can be deleted;
- ruleset names carry a version, each Engine has its own Host (hot reload = a new Engine), and the Host
  subclass has a no-op `_run()` so no timer threads leak;
- `set_rulesets` mutates its argument, so it gets a deep copy;
- the C core is not thread-safe: one module-wide lock serializes every call into it;
- `close()` frees the compiled rulesets (`delete_ruleset`): an Engine left unclosed keeps ~1.8 MB, so
  close the old Engine after a reload once no request is still using it (a closed Engine raises
  RuntimeError rather than touching freed memory).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException

from common.problems import Problem
from rules.compile import SEEN, compile_topic, computed_key, ruleset_name
from rules.compute import coerce_facts, compute_values, engine_value
from rules.explain import build_verdict, condition_holds, why_not
from rules.policy import InvalidFacts, Policy, PolicySet, Ref, Verdict
from rules.vocab import default_vocabulary

_LOCK = threading.Lock()


def _fold(text: str) -> str:
    """Traditional to simplified, as the bot does before extraction (OpenCC; loaded only for text cases)."""
    import unicodedata

    import opencc

    return opencc.OpenCC("t2s.json").convert(unicodedata.normalize("NFKC", text).lower())


def _still_possible(policy: Policy, facts: dict) -> bool:
    """False when a condition comparing a known fact with a literal already fails."""
    for cond in policy.when:
        if (
            cond.fact in facts
            and cond.fact not in policy.computed_names
            and cond.op != "exists"
            and not isinstance(cond.operand, Ref)
            and not any(isinstance(o, Ref) for o in (cond.operand if isinstance(cond.operand, tuple) else ()))
        ):
            try:
                if not condition_holds(cond, facts):
                    return False
            except (TypeError, KeyError):
                continue
    return True


class _AsCase:
    """A text case seen as a structured case once its facts are read."""

    def __init__(self, facts: dict, case):
        self.facts, self.expect, self.today, self.says = facts, case.expect, case.today, case.says


class _QuietHost(Host):
    """A Host without the two dispatch-timer threads (we never use timers or queued actions)."""

    def _run(self) -> None:
        pass


class Engine:
    """Evaluates situations against a PolicySet through durable_rules."""

    def __init__(self, policies: PolicySet, version: str = "v1", fold=None):
        """`fold(text)`: how the bot prepares a message for the extractor (script folding), used by the
        free-text golden cases; by default NFKC, lower case and simplified script."""
        self.policies = policies
        self.fold = fold or _fold
        self.vocab = policies.vocab or default_vocabulary()
        self.version = str(version)
        self._topics: dict[str, tuple[Policy, ...]] = {t: policies.for_topic(t) for t in policies.topics}
        self._names = {t: ruleset_name(self.version, t) for t in self._topics}
        self._fired: list[str] = []
        self._sessions = itertools.count(1)
        self._closed = False
        self.unmatched = 0  # asserts that matched nothing, not even the sentinel (should stay 0)
        rulesets = {}
        for topic, topic_policies in self._topics.items():
            rules = compile_topic(topic, topic_policies)
            for rule_id, rule in rules.items():
                rule["run"] = self._recorder(rule_id)
            rulesets[self._names[topic]] = rules
        with _LOCK:
            self._host = _QuietHost()
            self._host.set_rulesets(copy.deepcopy(rulesets))

    def _recorder(self, rule_id: str):
        fired = self._fired

        def record(c):  # exactly one argument; never raises
            fired.append(rule_id)

        return record

    # ------------------------------------------------------------ evaluation

    def _check_topic(self, topic: str) -> None:
        if self._closed:
            raise RuntimeError("engine is closed")
        if topic not in self.vocab.topics:
            raise InvalidFacts([f"未知的主题“{topic}”；可用的主题：{'、'.join(self.vocab.topics)}"])

    def prepare(self, topic: str, facts: dict, today: dt.date) -> tuple[dict, dict, dict]:
        """Typed facts, the computed values of each evaluable policy, and the single fact to assert."""
        typed = coerce_facts(topic, facts, today, self.vocab)
        fact = {"topic": topic, "today": today.toordinal()}
        fact.update({name: engine_value(value) for name, value in typed.items()})
        computed: dict[str, dict] = {}
        for index, policy in enumerate(self._topics.get(topic, ())):
            if not all(name in typed for name in policy.need_names):
                continue
            values = compute_values(policy, typed, today)
            if values is None:
                continue
            computed[policy.id] = values
            fact.update({computed_key(index, name): engine_value(v) for name, v in values.items()})
        return typed, computed, fact

    def fired(self, topic: str, fact: dict) -> list[str]:
        """Assert one prepared fact in a fresh session; the ids of the rules that fired."""
        name = self._names[topic]
        with _LOCK:
            if self._closed:  # checked under the lock: a freed ruleset must never be touched
                raise RuntimeError("engine is closed")
            sid = f"s{next(self._sessions)}"
            self._fired.clear()
            try:
                self._host.assert_fact(name, dict(fact, sid=sid))
            except MessageNotHandledException:
                # Cannot happen while the `_seen` sentinel matches the topic. If it ever does, the state
                # must NOT be deleted (delete_state after a no-match segfaults); count the leaked session.
                self.unmatched += 1
                return []
            self._host.delete_state(name, sid)
            return [rule for rule in self._fired if rule != SEEN]

    def evaluate(self, topic: str, facts: dict, today: dt.date | None = None) -> list[Verdict]:
        """Verdicts of every policy of `topic` that matches, highest priority first; [] = no verdict.

        Raises InvalidFacts (a ValueError) for absurd or contradictory facts; `.problems` lists them.
        """
        self._check_topic(topic)
        today = today or dt.date.today()
        typed, computed, fact = self.prepare(topic, facts, today)
        if topic not in self._topics:
            return []
        ids = set(self.fired(topic, fact))
        order = {p.id: i for i, p in enumerate(self._topics[topic])}
        verdicts = [build_verdict(p, typed, computed[p.id], today) for p in self._topics[topic] if p.id in ids]
        verdicts.sort(key=lambda v: (-v.priority, order[v.rule_id]))
        return verdicts

    def same_verdicts(self, topic: str, facts: dict, name: str, values: tuple, today: dt.date | None = None) -> bool:
        """Whether the same policies give verdicts for every one of these values of fact `name` (约100人: 99 is no
        党委 yet, though the >50 warning fires for all three)."""
        found = set()
        for value in values:
            try:
                verdicts = self.evaluate(topic, {**facts, name: value}, today)
            except ValueError:
                return False
            found.add(tuple(sorted(v.rule_id for v in verdicts)))
        return len(found) == 1

    def missing_facts(
        self, topic: str, facts: dict, untried: bool = False, policies: tuple[str, ...] | None = None
    ) -> list[tuple[str, str]]:
        """The facts to ask for when no policy of the topic can be evaluated yet, with their prompts.

        `untried=True` (the facts so far gave no verdict): the facts the closest policy not yet evaluable
        lacks, even when others could be evaluated. `policies`: only these policies of the topic (the ones
        that answer the question asked, rules.focus)."""
        self._check_topic(topic)
        present = {name for name, value in facts.items() if value is not None}
        # Policies a known fact already rules out (org_type 机关 for a 村 rule) cannot be answered by asking.
        candidates = tuple(
            p
            for p in self._topics.get(topic, ())
            if _still_possible(p, facts) and (policies is None or p.id in policies)
        )
        open_ = [p for p in candidates if not set(p.need_names) <= present]
        if not open_ or (len(open_) < len(candidates) and not untried):
            return []
        order = {p.id: i for i, p in enumerate(candidates)}
        best = min(
            open_,
            key=lambda p: (
                sum(n not in present for n in p.need_names),
                -len(present & set(p.need_names)),
                -p.priority,
                order[p.id],
            ),
        )
        return [(name, prompt) for name, prompt in best.needs if name not in present]

    def why_not(self, topic: str, facts: dict, rule_id: str, today: dt.date | None = None) -> tuple[str, ...]:
        """Why policy `rule_id` gives no verdict here ((): it does)."""
        self._check_topic(topic)
        today = today or dt.date.today()
        policy = self.policies.get(rule_id)
        if policy is None or policy.topic != topic:
            raise KeyError(rule_id)
        typed, computed, _ = self.prepare(topic, facts, today)
        env = dict(typed, today=today, **computed.get(rule_id, {}))
        return why_not(policy, env)

    # ------------------------------------------------------------ golden cases

    def run_golden_cases(self) -> list[Problem]:
        """Run every `cases:` entry of every policy; a Problem (at the case's line) for each failure."""
        problems = []
        for policy in self.policies.policies:
            for case in policy.cases:
                message = self.check_case(policy, case)
                if message:
                    problems.append(Problem(case.file, case.line, case.path, message))
            for text_case in policy.text_cases:
                message = self.check_text_case(policy, text_case)
                if message:
                    problems.append(Problem(text_case.file, text_case.line, text_case.path, message))
        return problems

    def check_text_case(self, policy: Policy, case) -> str | None:
        """None when the free-text case, read by the extractor, gets the expected verdict of this policy."""
        from rules.extract import extract  # the extractor is only needed to check text cases

        today = case.today or dt.date.today()
        found = extract(self.fold(case.text), today, self.vocab)
        if found.problems:
            if case.expect == "rejected":
                return None
            return (
                f"text case failed: expected {case.expect}, got rejected facts "
                f"({'；'.join(found.problems)}) from “{case.text}”"
            )
        if found.topic != policy.topic:
            if case.expect == "none" and found.topic is None:
                return None
            return (
                f"text case failed: “{case.text}” is read as topic {found.topic or 'none'}, "
                f"not {policy.topic} (facts read: {found.facts})"
            )
        structured = type(case)("", case.expect, today, case.says, case.file, case.line, case.path)
        message = self.check_case(policy, _AsCase(found.facts, structured))
        return (
            None
            if message is None
            else f"{message.replace('golden case', 'text case', 1)} (from “{case.text}”, facts read: {found.facts})"
        )

    def check_case(self, policy: Policy, case) -> str | None:
        """None when the golden case holds, else what went wrong."""
        try:
            verdicts = self.evaluate(policy.topic, case.facts, case.today)
        except InvalidFacts as exc:
            if case.expect == "rejected":
                return None
            return f"golden case failed: expected {case.expect}, got rejected facts ({'；'.join(exc.problems)})"
        if case.expect == "rejected":
            return "golden case failed: expected rejected facts, but they were accepted"
        mine = [v for v in verdicts if v.rule_id == policy.id]
        got = mine[0].outcome if mine else "none"
        if got != case.expect:
            fired = ", ".join(f"{v.rule_id} ({v.outcome})" for v in verdicts) or "none"
            return f"golden case failed: expected {case.expect}, got {got}; verdicts fired: {fired}"
        if mine:
            v = mine[0]
            text = "\n".join((v.message, v.flip or "") + v.reasons + v.arithmetic + v.next_steps)
            for needle in case.says:
                if needle not in text:
                    return f"golden case failed: the verdict does not say “{needle}”; it says: {v.message}"
        return None

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Free the compiled rulesets; the engine cannot evaluate afterwards."""
        with _LOCK:
            if self._closed:
                return
            self._closed = True
            for name in self._names.values():
                try:
                    durable_rules_engine.delete_ruleset(self._host.get_ruleset(name)._handle)
                except Exception:  # best effort: a failed free only leaks memory
                    pass

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
