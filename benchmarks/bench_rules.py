"""Policy engine benchmark: evaluations per second and p99 through durable_rules, the plain-Python floor, RSS.

Run: ``.venv/bin/python -m benchmarks.bench_rules`` or ``.venv/bin/python benchmarks/bench_rules.py``
(about 30–60 s). Prints the figures as JSON.

Three measurements over the same representative mix of situations (every topic, passing and failing):
- `evaluate`: the full public call (type and check the facts, compute dates and amounts, assert one fact
  into durable_rules, collect the fired rules, delete the session, build the explained Verdicts);
- `engine match`: only the durable_rules part (assert + collect + delete_state) on a prepared fact;
- `python floor`: the same conditions on the same prepared values, evaluated by a plain-Python loop.
RSS is read from /proc/self/status before and after 100,000 `evaluate` calls: it must stay flat.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

from benchmarks.common import ROOT, percentile, rss_mb  # noqa: E402
from rules import Engine, load_policies  # noqa: E402
from rules.explain import holds  # noqa: E402
from rules.policy import TODAY as TODAY_NAME  # noqa: E402

TODAY = dt.date(2025, 6, 1)
THROUGHPUT_CALLS = 10_000
RSS_CALLS = 100_000

SITUATIONS = [
    ("branch_formation", {"full_members": 2}),
    ("branch_formation", {"full_members": 9, "members_total": 60, "org_type": "村"}),
    ("branch_formation", {"units": 6}),
    ("application", {"age": 17, "application_date": dt.date(2025, 5, 10)}),
    ("activist", {"activist_since": dt.date(2024, 9, 1)}),
    ("activist", {"training_months": 14}),
    ("candidate", {"sponsors": 1, "training_days": 2, "leaving_within_months": 2}),
    ("branch_vote", {"expected_voters": 20, "present_voters": 12, "yes_votes": 10}),
    ("branch_vote", {"expected_voters": 21, "present_voters": 18, "yes_votes": 15}),
    ("probation", {"probation_start": dt.date(2025, 3, 1)}),
    ("probation", {"probation_start": dt.date(2024, 3, 1), "extended_months": 18}),
    ("election", {"seats": 5, "candidates": 5, "expected_voters": 40, "present_voters": 31, "yes_votes": 16}),
    ("election", {"org_type": "社区", "term_start": dt.date(2020, 5, 1), "postpone_months": 6}),
    ("dues", {"monthly_income": 4500.0, "retired": False}),
    ("dues", {"monthly_income": 6200.0, "retired": True}),
    ("dues", {"member_kind": "学生"}),
    ("org_life", {"last_member_assembly": dt.date(2025, 1, 10), "last_branch_committee": dt.date(2025, 5, 20)}),
    ("membership_status", {"months_unpaid": 7, "months_lost_contact": 3}),
    ("membership_status", {"months_away": 8, "away_fixed_place": True}),
    ("required_visit", {"visit_event": "住院", "person_kind": "党员"}),
    ("weak_org", {"committees_disunited": True, "secretary_vacant": True}),
    ("org_life", {"last_party_group": dt.date(2025, 5, 25)}),  # no verdict
]


def python_floor(policies_by_topic: dict, topic: str, typed: dict, computed: dict) -> list[str]:
    """The same conditions as the compiled rules, in plain Python (the floor the engine is compared to)."""
    fired = []
    for policy in policies_by_topic[topic]:
        values = computed.get(policy.id)
        if values is None:
            continue
        env = dict(typed, **values)
        env[TODAY_NAME] = TODAY
        if holds(policy, env):
            fired.append(policy.id)
    return fired


def _rate(measured: tuple[list[float], float]) -> dict:
    latencies, cpu = measured
    return {
        "per_s": len(latencies) / sum(latencies),
        "per_cpu_s": len(latencies) / cpu,  # steadier than wall time on a shared machine
        "p50_us": percentile(latencies, 50) * 1e6,
        "p99_us": percentile(latencies, 99) * 1e6,
    }


def _time_calls(fn, items: list, calls: int) -> tuple[list[float], float]:
    """Per-call wall latencies and the total CPU time of the loop."""
    latencies = []
    clock = time.perf_counter
    cpu_started = time.process_time()
    for i in range(calls):
        args = items[i % len(items)]
        started = clock()
        fn(*args)
        latencies.append(clock() - started)
    return latencies, time.process_time() - cpu_started


def run() -> dict:
    policies, problems = load_policies(ROOT / "rules", run_cases=False)
    if policies is None:
        raise SystemExit("\n".join(map(str, problems)))
    engine = Engine(policies, version="bench")
    by_topic = {t: policies.for_topic(t) for t in policies.topics}
    prepared = [(topic, *engine.prepare(topic, facts, TODAY)) for topic, facts in SITUATIONS]

    # The floor must agree with the engine on every situation, or the comparison means nothing.
    for topic, typed, computed, fact in prepared:
        assert sorted(engine.fired(topic, fact)) == sorted(python_floor(by_topic, topic, typed, computed)), topic

    evaluate_args = [(topic, facts, TODAY) for topic, facts in SITUATIONS]
    match_args = [(topic, fact) for topic, _, _, fact in prepared]
    floor_args = [(by_topic, topic, typed, computed) for topic, typed, computed, _ in prepared]
    for fn, args in ((engine.evaluate, evaluate_args), (engine.fired, match_args), (python_floor, floor_args)):
        _time_calls(fn, args, 1_000)  # warm-up

    full = _rate(_time_calls(engine.evaluate, evaluate_args, THROUGHPUT_CALLS))
    match = _rate(_time_calls(engine.fired, match_args, THROUGHPUT_CALLS))
    floor = _rate(_time_calls(python_floor, floor_args, THROUGHPUT_CALLS))

    before = rss_mb()
    started = time.perf_counter()
    for i in range(RSS_CALLS):
        topic, facts, today = evaluate_args[i % len(evaluate_args)]
        engine.evaluate(topic, facts, today)
    rss_seconds = time.perf_counter() - started
    after = rss_mb()
    engine.close()

    return {
        "policies": len(policies),
        "situations in the mix": len(SITUATIONS),
        "evaluate (durable) per s": full["per_s"],
        "evaluate (durable) p50 µs": full["p50_us"],
        "evaluate (durable) p99 µs": full["p99_us"],
        "engine match only per s": match["per_s"],
        "engine match only p99 µs": match["p99_us"],
        "python floor per s": floor["per_s"],
        "python floor p99 µs": floor["p99_us"],
        "floor ÷ engine match (×, CPU time)": floor["per_cpu_s"] / match["per_cpu_s"],
        "floor ÷ evaluate (×, CPU time)": floor["per_cpu_s"] / full["per_cpu_s"],
        "RSS before 100k evaluations MB": before,
        "RSS after 100k evaluations MB": after,
        "RSS growth MB": after - before,
        "100k evaluations s": rss_seconds,
        "timings": {
            "evaluate (durable)": full,
            "engine match only": match,
            "python floor": floor,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
