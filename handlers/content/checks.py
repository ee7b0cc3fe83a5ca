"""`bot.py check`: validate every YAML file, run the knowledge self-test and the policies' golden cases."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from common.problems import split_severity
from handlers.content.content import load_content
from handlers.content.build import validate
from reminders.workdays import coverage_warnings


def run_check(root: Path, today: date | None = None) -> tuple[bool, list[str]]:
    """(ok, lines to print): a summary on success, every located problem on failure.

    Also warns when the next 90 days (from `today`, default today in Beijing) reach a year without holiday
    data, so an admin enters the State Council's notice before reminders fall back to Monday–Friday."""
    content, problems = load_content(root)
    errors, warnings = split_severity(problems)
    if content is not None:
        more_errors, more_warnings = validate(content)  # self-test, golden cases, lint: as before a publish
        errors += more_errors
        warnings += more_warnings
        if content.reminders is not None:
            today = today or datetime.now(ZoneInfo("Asia/Shanghai")).date()
            warnings += coverage_warnings(content.reminders.holidays, today)
    lines = [str(p) for p in errors] + [f"warning: {p}" for p in warnings]
    if errors:
        lines.append(f"FAILED: {len(errors)} error(s)")
        return False, lines
    cases = sum(len(p.cases) for p in content.engine.policies.policies) if content.engine else 0
    texts = sum(len(p.text_cases) for p in content.engine.policies.policies) if content.engine else 0
    questions = sum(len(e.questions) for e in content.kb.entries)
    lines.append(
        f"OK: {len(content.kb.entries)} entries, {questions} example questions, "
        f"{len(content.kb.synonyms)} synonym groups, {content.policy_count} policies, "
        f"{cases} golden cases ({texts} more in free text), {len(content.reminders.ids) if content.reminders else 0} reminders "
        f"(version {content.version})"
    )
    return True, lines
