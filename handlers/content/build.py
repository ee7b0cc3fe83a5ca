"""Build and validate a candidate version in the bot's own process.

A candidate tree ({relative path: bytes}) is written to a temporary folder, loaded, and checked: schema,
self-test, golden cases and lint. Callers on the event loop run this with asyncio.to_thread (handlers/telegram/
admin.py), so answers keep flowing while it runs; benchmarks/bench_reload.py measures what a reload costs.
"""

from __future__ import annotations

import gc
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common.problems import Problem, split_severity
from handlers.content.content import SELF_TEST_DEPTH, Content, MemoRanker, example_questions, load_content, self_test
from knowledge.lint import lint_knowledge
from rules.lint import lint_policies


@dataclass
class Built:
    """A loaded candidate (None if it failed) and the problems found."""

    content: Content | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


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


def build(files: dict[str, bytes]) -> Built:
    """Load and fully validate a tree given as {relative path: bytes}."""
    gc.disable()  # a build makes many long-lived objects: no collector passes over them mid-build
    try:
        return _build(files)
    finally:
        gc.enable()


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
    more_errors, more_warnings = validate(content)
    built.errors += more_errors
    built.warnings += more_warnings
    if built.errors:
        content.close()
    else:
        built.content = content
    return built
