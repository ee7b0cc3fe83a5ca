"""Cold start: `python bot.py ask "预备期多长"` from a fresh interpreter, against a stock PTB bot's equivalent.

Each run is a new process, as an admin's shell or a cron job starts it: interpreter start, imports, loading
and indexing the knowledge base and the policies, one answer, the query-log row written. The reference is
benchmarks/reference_bot.py's `ask` mode (a stock python-telegram-bot FAQ script: imports PTB, looks the
question up in a dict, prints). Target (issue 13): median ≤ 0.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.common import ROOT

QUESTION = "预备期多长"
TARGET_S = 0.5


def _median_seconds(command: list[str], env: dict, runs: int) -> tuple[float, list[float]]:
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)  # warm the OS file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def run(runs: int = 15) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        # As a deployment runs: Python writes and reuses its bytecode (this workplace sets PYTHONDONTWRITEBYTECODE,
        # which makes every start compile every module again, ~0.08 s). The same for all three commands.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ZHIBU_", "TELEGRAM_")) and k != "PYTHONDONTWRITEBYTECODE"
        }
        env["ZHIBU_DB"] = os.path.join(tmp, "startup.db")
        bot, bot_runs = _median_seconds([sys.executable, str(ROOT / "bot.py"), "ask", QUESTION], env, runs)
        ref, _ = _median_seconds(
            [sys.executable, str(ROOT / "benchmarks" / "reference_bot.py"), "ask", QUESTION], env, runs
        )
        bare, _ = _median_seconds([sys.executable, "-c", "pass"], env, runs)
    return {
        "command": f'python bot.py ask "{QUESTION}"',
        "runs": runs,
        "median_s (zhibu-bot)": bot,
        "min_s (zhibu-bot)": min(bot_runs),
        "max_s (zhibu-bot)": max(bot_runs),
        "median_s (stock PTB FAQ script, ask mode)": ref,
        "median_s (bare interpreter: python -c pass)": bare,
        "target_s": TARGET_S,
        "meets_target": bot <= TARGET_S,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
