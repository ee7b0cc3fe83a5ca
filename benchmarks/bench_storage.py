"""Query-log benchmark: rows per second, latency `log()` adds to an answer, database size per 100,000 queries.

Run: ``.venv/bin/python -m benchmarks.bench_storage`` or ``.venv/bin/python benchmarks/bench_storage.py``
(about 15–20 s on 2 cores). Prints the figures as JSON.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

from benchmarks.common import percentile  # noqa: E402
from storage import QueryLog, open_db  # noqa: E402

THROUGHPUT_ROWS = 50_000
LATENCY_CALLS = 10_000
SIZE_ROWS = 100_000

QUESTIONS = [
    "入党积极分子的考察表怎么填",
    "预备党员转正需要哪些材料",
    "支部委员会换届选举的程序是什么",
    "党员大会应到{n}人实到{m}人，会议有效吗",
    "正式党员只有{n}名，可以成立党支部吗",
    "税后月收入{k}元，每月党费交多少",
    "主题党日活动每个月都要开吗",
    "发展对象政审要查哪些内容",
    "组织生活会和民主评议党员怎么安排",
    "谈心谈话一年要谈几次",
    "流动党员的组织关系怎么转接",
    "党小组会多久开一次，要记录什么",
    "入党申请书递交后多久找谈话",
    "预备期延长最多多久",
    "今天天气怎么样",
]
ENTRIES = [
    "admission.activist_review",
    "admission.probation_end",
    "election.committee",
    "meeting.quorum",
    "branch.setup",
    "dues.standard",
    "org_life.theme_day",
    None,
]


def realistic_fields(rng: random.Random) -> dict:
    """One exchange shaped like the pipeline's: Chinese text, a verdict or two, an entry, a score."""
    text = rng.choice(QUESTIONS).format(n=rng.randint(2, 60), m=rng.randint(1, 50), k=rng.randint(2000, 20000))
    entry = rng.choice(ENTRIES)
    verdicts = [{"rule_id": "meeting.quorum_half", "outcome": rng.choice(["pass", "fail"]), "topic": "meeting"}]
    group = rng.random() < 0.6
    return {
        "channel": "telegram",
        "chat_id": -1001000000000 - rng.randint(0, 5000) if group else None,
        "chat_type": "supergroup" if group else "private",
        "user_id": rng.randint(10**8, 10**10),
        "text": text,
        "normalized": text,
        "script": "simplified",
        "entry_id": entry,
        "score": round(rng.random(), 3),
        "fallback": entry is None,
        "verdicts": verdicts if rng.random() < 0.3 else [],
        "latency_ms": round(rng.uniform(0.5, 30), 2),
        "kb_version": "kb-2025.03-1a2b3c",
    }


def bench_throughput(folder: Path, rng: random.Random) -> float:
    """Rows per second from the first `log()` until `flush()` returns."""
    rows = [realistic_fields(rng) for _ in range(THROUGHPUT_ROWS)]
    qlog = QueryLog(folder / "throughput.db", b"bench")
    start = time.perf_counter()
    for fields in rows:
        qlog.log(**fields)
    assert qlog.flush(timeout=120)
    elapsed = time.perf_counter() - start
    qlog.close()
    return THROUGHPUT_ROWS / elapsed


def bench_latency(folder: Path, rng: random.Random) -> dict:
    """What `log()` costs its caller, in microseconds, with the writer running in the background."""
    rows = [realistic_fields(rng) for _ in range(LATENCY_CALLS)]
    qlog = QueryLog(folder / "latency.db", b"bench")
    samples = []
    for fields in rows:
        t0 = time.perf_counter_ns()
        qlog.log(**fields)
        samples.append(time.perf_counter_ns() - t0)
        if len(samples) % 100 == 0:
            time.sleep(0.001)  # answers arrive spread out, not in one burst
    qlog.close()
    return {
        "log_p50_us": round(percentile(samples, 50) / 1000, 1),
        "log_p99_us": round(percentile(samples, 99) / 1000, 1),
        "log_max_us": round(max(samples) / 1000, 1),
    }


def bench_size(folder: Path, rng: random.Random) -> int:
    """Bytes on disk (db + WAL) after logging `SIZE_ROWS` realistic queries and closing."""
    path = folder / "size.db"
    qlog = QueryLog(path, b"bench")
    for _ in range(SIZE_ROWS):
        qlog.log(**realistic_fields(rng))
    qlog.close(timeout=120)
    db = open_db(path)
    assert db["queries"].count == SIZE_ROWS
    db.close()
    return sum(p.stat().st_size for p in folder.glob("size.db*") if not p.name.endswith(".salt"))


def run() -> dict:
    """Run the three measurements in a temporary folder and return the figures."""
    rng = random.Random(4)
    with tempfile.TemporaryDirectory(prefix="zhibu-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        result = {"rows_per_second": round(bench_throughput(folder, rng))}
        result.update(bench_latency(folder, rng))
        size = bench_size(folder, rng)
        result["bytes_per_100k_queries"] = size
        result["mb_per_100k_queries"] = round(size / 1_000_000, 1)
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        result["cpus"] = os.cpu_count()
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
