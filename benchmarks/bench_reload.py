"""Reload benchmark: /reload time for the shipped, a 2,000- and a 10,000-entry knowledge base, answer p99 during reloads.

A reload is `ContentAdmin.reload()`: read knowledge/ and rules/, load and validate everything in this process
(schemas, cross-references, golden cases, the self-test, the lint), diff it against the live version and swap.
Targets: ≤300 ms for the shipped knowledge base (median of 5); ≤2 s for 2,000 entries (issue 13: the batch
ranker, knowledge/batch_rank.py, stays only if this needs it, so the 2,000-entry reload is timed with and
without it); ≤3 s for 10,000 entries; and an answer p99 while reloads run in a loop, reported against quiet.

Answers run on this process's main thread and reloads on a background thread, as in the bot (where answers
run on the event loop and /reload in asyncio.to_thread).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import yaml

from benchmarks.common import ROOT, percentile

import handlers.content.admin as content_admin  # noqa: E402
import handlers.content.build as build  # noqa: E402
import handlers.content.content as content_module  # noqa: E402
from handlers.content.content import load_content  # noqa: E402
from handlers.core.pipeline import Assistant, Inbound  # noqa: E402

CASES = yaml.safe_load((ROOT / "tests" / "data" / "paraphrases.yaml").read_text(encoding="utf-8"))["cases"]
TARGET_SHIPPED_S = 0.3
TARGET_10K_S = 3.0
TARGET_2K_S = 2.0
ENTRIES_PER_FILE = 1000  # about 380 KB of YAML per file: under the 1 MB per-file limit
BUDGET_10K_S = 60.0  # stop repeating the 10k reload once this much time has gone into it


def copy_shipped(dest: Path) -> Path:
    for folder in ("knowledge", "rules"):
        (dest / folder).mkdir(parents=True, exist_ok=True)
        for path in sorted((ROOT / folder).glob("*.yaml")):
            shutil.copyfile(path, dest / folder / path.name)
    return dest


def grow_files(root: Path, size: int, shipped_entries: int, seed: int = 7) -> list[Path]:
    """Write synthetic knowledge files so the knowledge base has `size` entries.

    Unlike bench_match.grow() (which splices real questions and would fail the self-test), every synthetic
    entry is built around its own random three-character term, so the candidate validates and is swapped in.
    """
    rng = random.Random(seed)
    pool = [chr(c) for c in range(0x4E00, 0x9FA5)]
    names: set[str] = set()
    while len(names) < size - shipped_entries:
        names.add("".join(rng.sample(pool, 3)))
    ordered = sorted(names)
    rng.shuffle(ordered)
    written = []
    for start in range(0, len(ordered), ENTRIES_PER_FILE):
        lines = ["version: 1", "entries:"]
        for i, name in enumerate(ordered[start : start + ENTRIES_PER_FILE], start=start):
            lines += [
                f"  - id: synthetic.e{i}",
                f"    title: {name}工作规范",
                "    category: 基层实践",
                "    questions:",
                f"      - {name}怎么办理",
                f"      - {name}有什么要求",
                f"      - 关于{name}的规定是什么",
                f"    keywords: [{name}]",
                f"    answer: 这是用于基准测试的合成条目（{name}）。",
                "    source: {ref: local_city_suburb}  # synthetic: any local registry id will do",
                "    verified: false",
                "    local_practice: true",
            ]
        path = root / "knowledge" / f"synthetic_{start // ENTRIES_PER_FILE:02d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


@contextlib.contextmanager
def phase_timer():
    """Time the steps of an in-process build by wrapping the functions build() looks up at call time."""
    totals: dict[str, float] = {}
    targets = [
        (build, "load_content", "load_s"),
        (build, "self_test", "self_test_s"),
        (build, "lint_knowledge", "lint_knowledge_s"),
        (content_admin, "diff_contents", "diff_s"),
    ]
    originals = []
    for module, name, label in targets:
        original = getattr(module, name)
        originals.append((module, name, original))

        def wrapped(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_label] = totals.get(_label, 0.0) + time.perf_counter() - started

        setattr(module, name, wrapped)
    try:
        yield totals
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def timed_reload(admin: content_admin.ContentAdmin) -> tuple[float, content_admin.Candidate]:
    started = time.perf_counter()
    candidate = admin.reload()
    return time.perf_counter() - started, candidate


def phases_in_process(root: Path, live) -> dict:
    """Where a build's time goes."""
    admin = content_admin.ContentAdmin(root, Assistant(live))
    admin.reload()  # warm: the file memo of this process
    with phase_timer() as phases:
        seconds, candidate = timed_reload(admin)
    if candidate.ok:
        candidate.content.close()
    return {"in_process_total_s": seconds, **phases}


def reload_shipped(runs: int = 5) -> dict:
    """/reload of the shipped content (the first one warms this process's file memo, as the bot's start does)."""
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        root = copy_shipped(Path(tmp))
        content, problems = load_content(root)
        assert content is not None, problems
        admin = content_admin.ContentAdmin(root, Assistant(content))
        timed_reload(admin)
        times, oks = [], []
        for _ in range(runs):
            seconds, candidate = timed_reload(admin)
            times.append(seconds)
            oks.append(candidate.ok)
        phases = phases_in_process(root, admin.assistant.content)
        admin.assistant.content.close()
    return {
        "entries": len(content.kb.entries),
        "runs": runs,
        "all_ok": all(oks),
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "target_ms": TARGET_SHIPPED_S * 1000,
        "meets_target": statistics.median(times) <= TARGET_SHIPPED_S,
        **{k.replace("_s", "_ms"): v * 1000 for k, v in phases.items()},
    }


def edit_one_file(path: Path, run: int) -> None:
    """An admin's edit: one entry's answer in one synthetic file changes."""
    text = path.read_text(encoding="utf-8")
    marker = "    answer: 这是用于基准测试的合成条目（"
    path.write_text(text.replace(marker, marker + f"第{run}次修改，", 1), encoding="utf-8")


def reload_10k(
    size: int = 10_000, runs: int = 3, budget_s: float = BUDGET_10K_S, target_s: float = TARGET_10K_S
) -> dict:
    """/reload of a `size`-entry knowledge base, every check in full.

    Run 1 is cold: the live version is the shipped one, and the synthetic files were never parsed.
    Each later run follows an admin's edit of one synthetic file (one answer changed), so that file is parsed
    again and everything else (index, self-test of all 30,200 questions, golden cases, lint,
    diff, swap) runs as for any reload. The target is judged on the median of those later runs.
    """
    with tempfile.TemporaryDirectory(prefix="bench-reload-10k-") as tmp:
        root = copy_shipped(Path(tmp))
        content, problems = load_content(root)
        assert content is not None, problems
        files = grow_files(root, size, len(content.kb.entries))
        largest_kb = max(p.stat().st_size for p in files) / 1000
        admin = content_admin.ContentAdmin(root, Assistant(content))
        cold, candidate = timed_reload(admin)
        warm, spent = [], cold
        while candidate.ok and len(warm) < runs and spent < budget_s:
            edit_one_file(files[len(warm) % len(files)], len(warm) + 1)
            seconds, candidate = timed_reload(admin)
            warm.append(seconds)
            spent += seconds
        errors = [str(p) for p in candidate.errors]
        entries = len(candidate.content.kb.entries) if candidate.ok else None
        questions = sum(len(e.questions) for e in candidate.content.kb.entries) if candidate.ok else None
        diff = candidate.diff if candidate.ok else None
        phases = phases_in_process(root, admin.assistant.content) if candidate.ok else {}
        admin.assistant.content.close()
    median = statistics.median(warm) if warm else None
    return {
        "entries": entries,
        "example_questions": questions,
        "synthetic_files": len(files),
        "largest_file_kb": largest_kb,
        "ok": candidate.ok,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "cold_s": cold,
        "edited_runs": len(warm),
        "edited_times_s": [round(t, 2) for t in warm],
        "median_s": median,
        "last_diff": "；".join(diff or []),
        "target_s": target_s,
        "meets_target": bool(candidate.ok and median is not None and median <= target_s),
        "phases_in_process": {k: round(v, 3) for k, v in phases.items()},
    }


def reload_2k_one_by_one() -> dict:
    """The 2,000-entry reload with MemoRanker.prefill doing nothing, so the self-test and the lint rank each
    example question one by one through Matcher.rank (what the build would do without knowledge/batch_rank)."""
    original = content_module.MemoRanker.prefill
    content_module.MemoRanker.prefill = lambda self, normalized, limit: None
    try:
        return reload_10k(size=2000, target_s=TARGET_2K_S)
    finally:
        content_module.MemoRanker.prefill = original


def answer_latency_under_reloads(windows: int = 4, window_s: float = 2.0) -> dict:
    """p50/p99 of Assistant.respond over the paraphrases, alone and while a thread reloads back to back.

    Quiet and busy windows alternate (`windows` of each, `window_s` seconds each), so a drift in the
    machine's speed (a shared host, frequency scaling) lands on both sides instead of on one."""
    texts = [c["q"] for c in CASES]
    with tempfile.TemporaryDirectory(prefix="bench-reload-loop-") as tmp:
        root = copy_shipped(Path(tmp))
        content, problems = load_content(root)
        assert content is not None, problems
        assistant = Assistant(content, memo_size=0)  # the whole pipeline for every answer, repeats included
        admin = content_admin.ContentAdmin(root, assistant)
        admin.reload()  # warms the file memo: not part of the measurement

        def answer_for(seconds: float) -> tuple[list[float], int]:
            out, failures, deadline = [], 0, time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                for text in texts:
                    started = time.perf_counter()
                    try:
                        assistant.respond(Inbound(text))
                    except Exception:  # noqa: BLE001  (counted: an answer lost to a reload)
                        failures += 1
                    out.append(time.perf_counter() - started)
            return out, failures

        answer_for(1.0)  # warm-up
        busy_now, stop = threading.Event(), threading.Event()
        reloads = {"done": 0, "ok": 0, "errors": 0, "seconds": []}

        def loop() -> None:
            while not stop.is_set():
                if not busy_now.wait(0.05):
                    continue
                try:
                    seconds, candidate = timed_reload(admin)
                    reloads["ok"] += candidate.ok
                    reloads["seconds"].append(seconds)
                except Exception:  # noqa: BLE001
                    reloads["errors"] += 1
                reloads["done"] += 1

        thread = threading.Thread(target=loop, name="bench-reload-loop", daemon=True)
        thread.start()
        quiet, busy, quiet_failures, busy_failures = [], [], 0, 0
        for _ in range(windows):
            out, failed = answer_for(window_s)
            quiet += out
            quiet_failures += failed
            busy_now.set()
            out, failed = answer_for(window_s)
            busy_now.clear()
            busy += out
            busy_failures += failed
            time.sleep(0.5)  # let the reload in progress finish before the next quiet window
        stop.set()
        thread.join()
        assistant.content.close()
    quiet_p99, busy_p99 = percentile(quiet, 99), percentile(busy, 99)
    return {
        "questions": len(texts),
        "windows": windows,
        "window_s": window_s,
        "answers_quiet": len(quiet),
        "answers_during_reloads": len(busy),
        "reloads_during": reloads["done"],
        "reloads_ok": reloads["ok"],
        "reload_exceptions": reloads["errors"],
        "reload_median_ms_under_load": statistics.median(reloads["seconds"]) * 1000 if reloads["seconds"] else None,
        "answer_failures_quiet": quiet_failures,
        "answer_failures_during_reloads": busy_failures,
        "p50_ms_quiet": percentile(quiet, 50) * 1000,
        "p99_ms_quiet": quiet_p99 * 1000,
        "p50_ms_during_reloads": percentile(busy, 50) * 1000,
        "p99_ms_during_reloads": busy_p99 * 1000,
        "max_ms_during_reloads": max(busy) * 1000,
        "p99_ratio": busy_p99 / quiet_p99 if quiet_p99 else None,
        "target_ratio": 2.0,
        "meets_target": bool(quiet_p99) and busy_p99 / quiet_p99 <= 2.0,
    }


def run() -> dict:
    started = time.perf_counter()
    results = {
        "shipped": reload_shipped(),
        "latency": answer_latency_under_reloads(),
        "2k": reload_10k(size=2000, target_s=TARGET_2K_S),
        "2k without the batch ranker": reload_2k_one_by_one(),
        "10k": reload_10k(),
    }
    results["total_s"] = time.perf_counter() - started
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
