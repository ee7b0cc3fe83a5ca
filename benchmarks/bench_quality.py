"""Answer quality (issue 14) on the frozen test split, beside a BM25 baseline; pipeline latency at 1,000 entries.

Question sets: tests/data/eval/*.yaml (benchmarks/eval_sets.py), split tuning/frozen by hash. Systems:
- `bot`: the shipped decision (scope file, ranking, then knowledge.judge: aspect, coverage, not_for,
  choose, clarify);
- `rank_only`: the decision as it was at ace2d1b (scope file, then the top-ranked entry if its score clears
  the threshold), on the same knowledge base;
- `bm25`: jieba + rank_bm25 over each entry's title, example questions and keywords (one document per entry),
  answering the best entry if its score clears a threshold fitted on the tuning split (best `overall`).
Figures are percentages of the frozen split; `margin_over_bm25` is the difference of the `overall` figures.
`in_scope_one_reply_away` also counts an in-scope question whose right entry is offered, not answered: in a
choice, or among the (up to three) entries a decline lists as related, which the user opens with one reply; for
BM25 a decline lists its three best entries.
The rows marked "fresh held-out set" score the same bot and BM25 on tests/data/fresh/held_out.yaml: questions
written later, by writers who never saw the knowledge base, labelled strictly against it (no out-of-domain part).
The pipeline figures include the situation check (durable_rules), whose own p99 is ~4 ms (see the policy
engine section); `matcher_decide_p99_ms_1000_entries` is the knowledge lookup alone (rank + judge).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from benchmarks.common import ROOT, percentile, timed
from benchmarks.eval_sets import Outcome, load_cases, load_fresh, score, split

from handlers.content.content import load_content  # noqa: E402
from handlers.core.pipeline import Assistant, Inbound  # noqa: E402
from knowledge.match import Matcher  # noqa: E402
from knowledge.normalize import normalize_text  # noqa: E402


def bot_system(content):
    kb, matcher = content.kb, content.matcher

    def answer(question: str) -> Outcome:
        normalized = normalize_text(question)
        if kb.scope.outside_hint(normalized):
            return Outcome("decline")
        decision = matcher.decide(normalized)
        if decision.kind in ("answer", "choose"):
            return Outcome(decision.kind, tuple(m.entry_id for m in decision.matches))
        return Outcome("decline", related=tuple(m.entry_id for m in decision.related))

    return answer


def rank_only_system(content):
    kb, matcher = content.kb, content.matcher

    def answer(question: str) -> Outcome:
        normalized = normalize_text(question)
        ranked = matcher.rank(normalized, limit=1)
        if not kb.scope.outside_hint(normalized) and ranked and ranked[0].accepted:
            return Outcome("answer", (ranked[0].entry_id,))
        return Outcome("decline")

    return answer


class BM25Baseline:
    """The naive baseline of the issue: jieba words, BM25 over one document per entry, a fitted threshold."""

    def __init__(self, kb):
        import jieba
        from rank_bm25 import BM25Okapi

        jieba.setLogLevel(logging.WARNING)
        self.cut = lambda text: [w for w in jieba.lcut(normalize_text(text)) if w.strip()]
        self.ids = [e.id for e in kb.entries]
        self.bm25 = BM25Okapi([self.cut(" ".join((e.title, *e.questions, *e.keywords))) for e in kb.entries])
        self.threshold = 0.0

    def best(self, question: str) -> tuple[str, float]:
        return self.top(question, 1)[0]

    def top(self, question: str, k: int) -> list[tuple[str, float]]:
        scores = self.bm25.get_scores(self.cut(question))
        order = scores.argsort()[::-1][:k]
        return [(self.ids[i], float(scores[i])) for i in order]

    def fit(self, cases) -> None:
        """The threshold with the best `overall` on these (tuning) cases."""
        best = {c.q: self.best(c.q) for c in cases}
        candidates = sorted({round(s, 3) for _, s in best.values()})
        results = []
        for threshold in [0.0] + candidates:
            self.threshold = threshold
            results.append((score(cases, self)["overall"], -threshold))
        self.threshold = -max(results)[1]

    def __call__(self, question: str) -> Outcome:
        """The best entry if it clears the threshold, else a decline offering the three best (as the bot's does)."""
        top = self.top(question, 3)
        entry, value = top[0]
        if value > self.threshold:
            return Outcome("answer", (entry,))
        return Outcome("decline", related=tuple(e for e, s in top if s > 0))


def pipeline_latency(content, size: int) -> dict:
    """respond() with the answer memo off over every evaluation question, on a KB grown to `size` entries."""
    from benchmarks.bench_match import grow

    kb = grow(content.kb, size) if size > len(content.kb.entries) else content.kb
    grown = replace(content, kb=kb, matcher=Matcher(kb))
    assistant = Assistant(grown, memo_size=0)
    texts = [c.q for c in load_cases()]
    for text in texts:
        assistant.respond(Inbound(text))
    seconds = [timed(assistant.respond, Inbound(t))[1] for t in texts * 3]
    return {
        "entries": len(kb.entries),
        "p50_ms": percentile(seconds, 50) * 1000,
        "p99_ms": percentile(seconds, 99) * 1000,
    }


def decide_latency(content, size: int) -> float:
    """p99 ms of the matcher's part alone (rank + judge) over every evaluation question, at `size` entries."""
    from benchmarks.bench_match import grow

    kb = grow(content.kb, size) if size > len(content.kb.entries) else content.kb
    matcher = Matcher(kb)
    texts = [normalize_text(c.q) for c in load_cases()]
    for text in texts:
        matcher.decide(text)
    return percentile([timed(matcher.decide, t)[1] for t in texts * 3], 99) * 1000


def run() -> dict:
    content, problems = load_content(ROOT)
    assert content is not None, problems
    cases = load_cases()
    tuning, frozen = split(cases, "tuning"), split(cases, "frozen")
    bm25 = BM25Baseline(content.kb)
    bm25.fit(tuning)
    bot = bot_system(content)
    results = {}
    for name, system in (("bot", bot), ("rank_only (ace2d1b rule)", rank_only_system(content)), ("bm25", bm25)):
        figures = score(frozen, system)
        figures.pop("n")
        results[name] = figures
    # The fresh held-out set: questions written later by people who never saw the knowledge base, nothing fitted
    fresh = load_fresh("held_out")
    for name, system in (("bot, fresh held-out set", bot), ("bm25, fresh held-out set", bm25)):
        figures = score(fresh, system)
        figures.pop("n")
        figures["out_of_domain_declined"] = "—"  # the fresh set has no out-of-domain part
        results[name] = figures
    results["margin_over_bm25_points"] = round(results["bot"]["overall"] - results["bm25"]["overall"], 1)
    results["bm25_threshold"] = round(bm25.threshold, 3)
    counts = score(frozen, lambda q: Outcome("decline"))["n"]
    results["frozen_cases"] = ", ".join(f"{k} {v}" for k, v in counts.items())
    fresh_counts = score(fresh, lambda q: Outcome("decline"))["n"]
    results["fresh_held_out_cases"] = ", ".join(f"{k} {v}" for k, v in fresh_counts.items() if v)
    for size in (len(content.kb.entries), 1000):
        row = pipeline_latency(content, size)
        results[f"pipeline_p50_ms_{row['entries']}_entries"] = row["p50_ms"]
        results[f"pipeline_p99_ms_{row['entries']}_entries"] = row["p99_ms"]
    results["matcher_decide_p99_ms_1000_entries"] = decide_latency(content, 1000)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
