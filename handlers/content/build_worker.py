"""Build and validate a candidate version in a worker process, so a reload does not slow the answers.

Why a process: benchmarks/bench_reload.py measured the answer p99 at about 9x its quiet value while a
thread of the bot's own process reloaded in a loop. Loading, indexing, the self-test, the golden cases and
the lint are all Python (or C holding the GIL), so they took the interpreter from the answering thread in
5 ms slices. In a worker process they run on another core; the bot's process only unpickles the result and
compiles the durable_rules rulesets, which must live in the process that evaluates them (a few ms for the
shipped content). It also means a candidate that crashes or exhausts the validator takes down the worker,
never the bot: the worker is restarted and the admin gets an error.

One worker per bot process, started on first use with the `spawn` method (no inherited threads, locks or
database handles) and kept for later builds, so its file cache (knowledge/load.py) stays warm.
ZHIBU_BUILD_IN_PROCESS=1 builds in the calling process instead (tests that patch the loaders use it).
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from common.problems import Problem, split_severity
from handlers.content.content import (SELF_TEST_DEPTH, Content, MemoRanker, example_questions, load_content, new_engine,
                              self_test)
from handlers.content.diff import diff_contents
from handlers.settings import env_flag
from knowledge.lint import lint_knowledge
from knowledge.load import KnowledgeBase
from knowledge.match import Matcher
from reminders.load import ReminderSet
from rules.lint import lint_policies
from rules.policy import PolicySet

log = logging.getLogger("zhibu.admin")

BUILD_TIMEOUT = 600.0  # seconds; a 10,000-entry knowledge base builds in a few
WORKER_NICENESS = 10   # the worker's scheduling priority below the bot's (Unix nice)
PARENT_CHECK_S = 1.0   # how often the worker checks that the bot's process is still there


@dataclass
class Built:
    """A candidate as the worker returns it: everything of a Content except the engine, plus the problems."""

    kb: KnowledgeBase | None = None
    matcher: Matcher | None = None
    policies: PolicySet | None = None
    reminders: ReminderSet | None = None
    version: str = ""
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    diff: list[str] | None = None  # against the version asked for, when the worker still had it

    def content(self) -> Content | None:
        """The live Content, compiling the rulesets in this process (None if the build failed)."""
        if self.kb is None or self.matcher is None or self.errors:
            return None
        engine = new_engine(self.policies) if self.policies is not None else None
        return Content(self.kb, self.matcher, engine, self.version, self.reminders)


def validate(content: Content) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) beyond the schema: the self-test, golden cases and the lint."""
    ranker = MemoRanker(content.matcher)  # the self-test and the lint rank each example question once,
    ranker.prefill(example_questions(content), SELF_TEST_DEPTH)  # all of them together
    errors = list(self_test(content, ranker))
    if content.engine is not None:
        errors += content.engine.run_golden_cases()
    found = lint_knowledge(content.kb, ranker)
    if content.engine is not None:
        found += lint_policies(content.engine.policies)
    lint_errors, warnings = split_severity(found)
    return errors + lint_errors, warnings


# The last two successful builds of this process, by version, to diff the next candidate against: the live
# version is almost always one of them (the warm-up build at start, or the last publish). Only two: at 10,000
# entries each is ~100 MB, and keeping four made every build slower (1.7 s -> 2.5-3 s) as the heap grew.
RECENT = 2
_recent: OrderedDict[str, Built] = OrderedDict()
_recent_lock = threading.Lock()


def build(files: dict[str, bytes], live_version: str | None = None) -> Built:
    """Load and fully validate a tree given as {relative path: bytes}; diff it against `live_version` if that
    was built here before. Runs in the worker (or in-process)."""
    gc.disable()  # a build makes millions of long-lived objects: no collector passes over them mid-build
    try:
        built = _build(files)
    finally:
        gc.enable()
    if not built.errors:
        with _recent_lock:
            old = _recent.get(live_version) if live_version else None
            _recent[built.version] = built
            _recent.move_to_end(built.version)
            while len(_recent) > RECENT:
                _recent.popitem(last=False)
        if old is not None:
            built.diff = diff_contents(old, built)
    return built


def _build(files: dict[str, bytes]) -> Built:
    with tempfile.TemporaryDirectory(prefix="zhibu-candidate-") as tmp:
        for rel, data in files.items():
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_bytes(data)
        content, problems = load_content(Path(tmp), run_cases=False)  # validate() runs the golden cases
    errors, warnings = split_severity(problems)
    built = Built(errors=errors, warnings=warnings)
    if content is None:
        return built
    try:
        errors, warnings = validate(content)
    finally:
        content.close()  # this engine only ran the golden cases; the live one is compiled where it answers
    built.errors += errors
    built.warnings += warnings
    if not built.errors:
        built.kb, built.matcher, built.version = content.kb, content.matcher, content.version
        built.policies = content.engine.policies if content.engine is not None else None
        built.reminders = content.reminders
    return built


class Builder:
    """Runs build() in the worker process, restarting it if it died; in-process when configured so."""

    def __init__(self, in_process: bool | None = None):
        self.in_process = env_flag("ZHIBU_BUILD_IN_PROCESS") if in_process is None else in_process
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def build(self, files: dict[str, bytes], live_version: str | None = None) -> Built:
        if self.in_process:
            return build(files, live_version)
        for attempt in (1, 2):
            try:
                worker = self._worker()
            except (OSError, NotImplementedError, ImportError) as exc:  # e.g. no /dev/shm for its semaphores
                log.error("cannot start the build worker (%s); building in the bot's process from now on", exc)
                self.in_process = True
                return build(files, live_version)
            try:
                return worker.submit(build, files, live_version).result(timeout=BUILD_TIMEOUT)
            except BrokenProcessPool:
                log.error("the build worker died (attempt %d); starting a new one", attempt)
                self._discard()
            except TimeoutError:
                log.error("the build worker took over %.0f s; stopping it", BUILD_TIMEOUT)
                self._discard()
                break
        return Built(errors=[Problem("", 0, "", "validation stopped: the candidate crashed or exhausted the "
                                                "validator; nothing was changed")])

    def warm_up(self, files: dict[str, bytes]) -> None:
        """Build the running tree in the background: starts the worker, fills its file cache, and lets the
        first /reload diff against the live version there."""
        if not self.in_process:
            self._worker().submit(build, files)

    def _worker(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_worker)
            return self._pool

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()  # a hung build would otherwise keep shutdown() waiting
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _init_worker() -> None:
    """In the worker: yield the CPU to the bot's process when both want it (a reload is background work),
    and exit when the bot's process is gone, even if it was killed without a word (SIGKILL, OOM)."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # not on this platform: same priority, still another process
        pass
    parent = os.getppid()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch_parent, name="build-worker-parent-watch", daemon=True).start()


_shared: Builder | None = None
_shared_lock = threading.Lock()


def shared_builder() -> Builder:
    """The process's one Builder (one worker process however many ContentAdmins there are)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Builder()
            atexit.register(_shared.close)
        return _shared
