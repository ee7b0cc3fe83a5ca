"""Bug 3 of issue 13: the same facts must get the same verdicts from `bot.py evaluate` and from chat.

At ace2d1b `evaluate topic=branch_vote expected_voters=20 present_voters=10 yes_votes=15` printed both
「❌ 会议不能进行表决」 and 「✅ 赞成票数符合要求」, while the same situation typed in chat was rejected (more yes
votes than members present): two fact validators (rules/extract_checks.py, rules/compute.py). The fix is
one fact-validation module (issue 13 item 4), built on the issue-16 branch; until that merges this test is an
expected failure, and `strict` makes it fail loudly once it passes so the marker is removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from handlers.content.content import load_content
from handlers.core.conversation import Conversation
from handlers.core.pipeline import Assistant, Inbound

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    # (evaluate arguments, the same situation in words, a fragment of the rejection)
    (
        ["topic=branch_vote", "expected_voters=20", "present_voters=10", "yes_votes=15"],
        "支部大会表决，应到20人，实到10人，赞成15票",
        "多于实到会人数",
    ),
]


@pytest.mark.parametrize("args, text, rejection", CASES)
def test_evaluate_rejects_what_chat_rejects(args, text, rejection):
    content, problems = load_content(ROOT)
    assert content is not None, problems
    chat, _ = Conversation(Assistant(content)).respond(Inbound(text))
    assert chat.kind == "invalid" and rejection in chat.text  # chat rejects these facts
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "evaluate", *args],
        capture_output=True,
        text=True,
        env={**env, "ZHIBU_DB": ":memory:"},
        cwd=ROOT,
        timeout=120,
    )
    assert "✅" not in result.stdout and "❌" not in result.stdout  # no verdict on facts that cannot be
    assert rejection in result.stdout + result.stderr
