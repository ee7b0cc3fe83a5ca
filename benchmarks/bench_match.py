"""Answer accuracy and latency: the shipped knowledge base and one grown to 1,000 and 10,000 entries."""

from __future__ import annotations

import random
from dataclasses import replace

import yaml

from benchmarks.common import ROOT, median_of, percentile, timed

from handlers.content.content import load_content  # noqa: E402
from handlers.core.pipeline import MEMO_SIZE, Assistant, Inbound  # noqa: E402
from knowledge.load import KnowledgeBase  # noqa: E402
from knowledge.match import Matcher  # noqa: E402
from knowledge.normalize import normalize_text  # noqa: E402

CASES = yaml.safe_load((ROOT / "tests" / "data" / "paraphrases.yaml").read_text(encoding="utf-8"))["cases"]


def grow(kb: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """Add synthetic distractor entries spliced from real questions until the KB has `size` entries."""
    rng = random.Random(seed)
    questions = [q for e in kb.entries for q in e.questions]
    keywords = [k for e in kb.entries for k in e.keywords]
    extra = []
    for i in range(size - len(kb.entries)):
        template = kb.entries[i % len(kb.entries)]

        def splice():
            a, b = rng.choice(questions), rng.choice(questions)
            return a[: max(2, len(a) // 2)] + b[len(b) // 2 :]

        extra.append(
            replace(
                template,
                id=f"synthetic.e{i}",
                title=splice(),
                questions=tuple(splice() for _ in range(4)),
                keywords=tuple(rng.sample(keywords, 2)),
                related=(),
            )
        )
    return KnowledgeBase(kb.entries + tuple(extra), kb.synonyms, f"grown{size}", kb.files, kb.scope)


def accuracy(kb: KnowledgeBase, matcher: Matcher) -> tuple[float, float]:
    """(share of in-scope questions answered with the right entry, share of out-of-scope declined)."""
    right = declined = n_in = n_out = 0
    for case in CASES:
        normalized = normalize_text(case["q"])
        ranked = matcher.rank(normalized, limit=1)
        answered = None
        if not kb.scope.outside_hint(normalized) and ranked and ranked[0].accepted:
            answered = ranked[0].entry_id
        if case["expect"]:
            n_in += 1
            right += answered == case["expect"]
        else:
            n_out += 1
            declined += answered is None
    return right / n_in, declined / n_out


def latencies(kb: KnowledgeBase, matcher: Matcher) -> list[float]:
    """Seconds per rank() over every paraphrase and every example question."""
    texts = [normalize_text(c["q"]) for c in CASES] + [normalize_text(q) for e in kb.entries[:300] for q in e.questions]
    out = []
    for text in texts:
        _, seconds = timed(matcher.rank, text)
        out.append(seconds)
    return out


def run() -> dict:
    content, problems = load_content(ROOT)
    assert content is not None, problems
    results = {}
    # The whole pipeline (normalize, small talk, situation check, match, render) on the shipped KB: every
    # question computed (memo off), then the same questions asked again with the answer memo on.
    texts = [c["q"] for c in CASES]
    for label, memo in (("pipeline", 0), ("pipeline_repeat", MEMO_SIZE)):
        assistant = Assistant(content, memo_size=memo)
        for text in texts:
            assistant.respond(Inbound(text))
        pipeline = [timed(assistant.respond, Inbound(t))[1] for t in texts * 3]
        results[f"{label}_p50_ms"] = percentile(pipeline, 50) * 1000
        results[f"{label}_p99_ms"] = percentile(pipeline, 99) * 1000
    for label, kb in (("shipped", content.kb), ("1k", grow(content.kb, 1000)), ("10k", grow(content.kb, 10_000))):
        build = median_of(3, lambda kb=kb: timed(Matcher, kb)[1])
        matcher = Matcher(kb)
        top1, declined = accuracy(kb, matcher)
        lat = latencies(kb, matcher)
        results[label] = {
            "entries": len(kb.entries),
            "build_s": build,
            "top1": top1,
            "declined": declined,
            "p50_ms": percentile(lat, 50) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
        }
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
