"""Tuning aid (issue 14): the bot's figures on both splits and the fresh sets, and its failures on the TUNING
split and the fresh DEVELOPMENT half only.

    python -m benchmarks.quality_tuning [--bm25]

Never print or inspect frozen-split or held-out failures: those figures are only honest if nothing was fitted on them.
"""

from __future__ import annotations

import sys

from benchmarks.bench_quality import BM25Baseline, bot_system
from benchmarks.common import ROOT
from benchmarks.eval_sets import load_cases, load_fresh, score, split
from handlers.content.content import load_content


def main() -> None:
    content, problems = load_content(ROOT)
    assert content is not None, problems
    cases = load_cases()
    tuning, frozen = split(cases, "tuning"), split(cases, "frozen")
    bot = bot_system(content)
    print("bot tuning:", score(tuning, bot))
    print("bot frozen:", score(frozen, bot))
    if "--bm25" in sys.argv:
        bm25 = BM25Baseline(content.kb)
        bm25.fit(tuning)
        print("bm25 frozen:", score(frozen, bm25))
    development = load_fresh("development")
    print("bot fresh development:", score(development, bot))
    print("bot fresh held-out:", score(load_fresh("held_out"), bot))
    print("bot fresh round 5 (development data since its first measure):", score(load_fresh("round5"), bot))
    print("\n-- tuning and fresh development failures (set | question | got | accept)")
    for case in tuning + development:
        out = bot(case.q)
        if case.set == "out_of_domain":
            bad = out.kind != "decline"
        elif case.set == "in_scope":
            bad = not (out.kind == "answer" and out.entries[0] in case.accept)
        else:
            bad = out.kind != "decline"
        if bad:
            print(f"{case.set} | {case.q} | {out.kind} {','.join(out.entries)} | {','.join(case.accept)}")


if __name__ == "__main__":
    main()
