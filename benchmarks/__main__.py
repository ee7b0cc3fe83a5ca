"""`make bench`: run every benchmark, print a table and rewrite docs/benchmarks.md."""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone

from benchmarks.common import ROOT

SUITES = (
    "bench_startup",
    "bench_match",
    "bench_quality",
    "bench_rules",
    "bench_situations",
    "bench_storage",
    "bench_telegram",
    "bench_reminders",
    "bench_reload",
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def flatten(results: dict, prefix: str = "") -> dict:
    """{'a': {'b': 1}} -> {'a.b': 1}; lists are shown as they are."""
    out = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def table(title: str, results: dict) -> list[str]:
    lines = [f"## {title}", ""]
    flat = {k: v for k, v in results.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in results.items() if isinstance(v, dict)}
    if flat:
        lines += ["| figure | value |", "| --- | --- |"] + [f"| {k} | {fmt(v)} |" for k, v in flat.items()] + [""]
    shapes = {tuple(v) for v in nested.values()}
    scalar = all(not isinstance(x, dict) for row in nested.values() for x in row.values())
    if nested and len(shapes) == 1 and scalar:
        columns = list(next(iter(nested.values())))
        lines += ["| case | " + " | ".join(columns) + " |", "| --- " * (len(columns) + 1) + "|"]
        lines += [
            f"| {name} | " + " | ".join(fmt(row.get(c, "")) for c in columns) + " |" for name, row in nested.items()
        ]
        lines.append("")
    else:
        for name, row in nested.items():
            lines += [f"**{name}**", "", "| figure | value |", "| --- | --- |"]
            lines += [f"| {k} | {fmt(v)} |" for k, v in flatten(row).items()] + [""]
    return lines


MARK = "@@benchmark-result@@"


def run_isolated(name: str) -> dict:
    """One suite's run() in a fresh interpreter, as a bot process would start: no heap, threads or caches
    left over from the suites before it (they skewed garbage collection and the GIL in later suites)."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); import benchmarks.{name} as m; "
        f"r = m.run(); print({MARK!r} + json.dumps(r, ensure_ascii=False, default=str))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith(MARK))
    return json.loads(line[len(MARK) :])


def replace_sections(names: list[str], sections_by_suite: dict[str, list[str]]) -> str:
    """The current docs/benchmarks.md with only these suites' sections replaced (or appended)."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    for name in names:
        new = "\n".join(sections_by_suite[name]).rstrip() + "\n"
        title = sections_by_suite[name][0]
        if title in text:
            start = text.index(title)
            end = text.find("\n## ", start + len(title))
            text = text[:start] + new + ("\n" + text[end + 1 :] if end != -1 else "")
        else:
            text = text.rstrip() + "\n\n" + new
    return text


def main() -> int:
    started = time.perf_counter()
    only = [name for name in sys.argv[1:] if name in SUITES]
    if only:  # `python -m benchmarks bench_situations`: rerun some suites, keep the other sections
        by_suite = {}
        for name in only:
            module = importlib.import_module(f"benchmarks.{name}")
            print(f"running {name} …", file=sys.stderr, flush=True)
            by_suite[name] = table(module.__doc__.strip().splitlines()[0], run_isolated(name))
        text = replace_sections(only, by_suite)
        (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
        print(text)
        return 0
    sections, notes = [], []
    for name in SUITES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            notes.append(f"- `{name}` is not present")
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        results = run_isolated(name)
        sections += table(module.__doc__.strip().splitlines()[0], results)
    elapsed = time.perf_counter() - started
    header = [
        "# Benchmarks",
        "",
        "Rewritten by `make bench` (`python -m benchmarks`); do not edit by hand.",
        "",
        f"- machine: {machine()}",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "- command: `make bench`",
        f"- wall time: {elapsed:.0f} s",
        "",
        "Each suite runs in its own fresh Python process. Latency figures are percentiles over every measured "
        "call; build times are the median of 3 runs.",
        "",
    ]
    text = "\n".join(header + sections + notes) + "\n"
    (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
