"""Situation accuracy: the frozen free-text set (tests/data/situations.yaml) through the conversation core."""

from __future__ import annotations

import datetime as dt
import time

import yaml

from benchmarks.common import ROOT


def load_set() -> tuple[dt.date, list[dict]]:
    data = yaml.safe_load((ROOT / "tests" / "data" / "situations.yaml").read_text(encoding="utf-8"))
    return data["today"], data["cases"]


def judge(reply, case: dict) -> bool:
    """Does the reply answer as the case says?"""
    if "ask" in case:
        return reply.kind == "ask" and reply.pending is not None and reply.pending.topic == case["ask"]
    if case["rule"] == "none":
        return reply.kind != "situation" and not reply.verdicts and reply.kind != "ask"
    if case["rule"] == "rejected":
        return reply.kind == "invalid" and not reply.verdicts
    return bool(reply.verdicts) and (reply.verdicts[0]["rule_id"], reply.verdicts[0]["outcome"]) == (
        case["rule"],
        case["outcome"],
    )


def evaluate() -> tuple[int, list[tuple[dict, object]]]:
    from handlers.content.content import load_content
    from handlers.core.pipeline import Assistant, Inbound

    today, cases = load_set()
    content, problems = load_content(ROOT)
    assert content is not None, problems
    assistant = Assistant(content, querylog=None, today=lambda: today)
    wrong = []
    for case in cases:
        reply = assistant.respond(Inbound(case["text"]))
        if not judge(reply, case):
            wrong.append((case, reply))
    return len(cases), wrong


def run() -> dict:
    started = time.perf_counter()
    total, wrong = evaluate()
    elapsed = time.perf_counter() - started
    results = {
        "messages in the frozen set": total,
        "answered as expected": total - len(wrong),
        "accuracy %": round(100 * (total - len(wrong)) / total, 1),
        "wall time s (load + all messages)": round(elapsed, 2),
    }
    for i, (case, reply) in enumerate(wrong, 1):
        got = reply.verdicts[0]["rule_id"] if reply.verdicts else reply.kind
        results[f"miss {i}"] = f"{case['text']} → {got}"
    return results
