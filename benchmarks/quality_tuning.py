"""Tuning aid (issue 14): the bot's figures on both splits, and its failures on the TUNING split only.

    python -m benchmarks.quality_tuning [--bm25]

Never print or inspect frozen-split failures: the frozen figures are only honest if nothing was fitted on them.
"""

from __future__ import annotations

import sys

from benchmarks.bench_quality import BM25Baseline, bot_system
from benchmarks.common import ROOT
from benchmarks.eval_sets import load_cases, score, split
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
    print("\n-- tuning failures (set | question | got | accept)")
    for case in tuning:
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
