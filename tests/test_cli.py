"""The CLI contract (`bot.py ask | chat | check | run`), run as a real process the way operators use it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {
    "question",
    "answer",
    "entry_id",
    "score",
    "fallback",
    "suggestions",
    "verdicts",
    "script",
    "source",
    "latency_ms",
}


def bot(*args, stdin: bytes | None = b"", env: dict | None = None, cwd: Path = ROOT):
    full_env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    full_env.update({"ZHIBU_DB": ":memory:", **(env or {})})
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_ask_json_contract():
    result = bot("ask", "--json", "入党要几个介绍人")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= FIELDS
    assert data["entry_id"] == "admission.sponsors" and data["fallback"] is False
    assert 0 <= data["score"] <= 1 and data["script"] == "simplified" and data["verdicts"] == []
    assert data["answer"].endswith(data["source"])


def test_ask_plain_text_in_traditional():
    result = bot("ask", "預備期從哪天算")
    assert result.returncode == 0
    assert "預備" in result.stdout.decode()


def test_ask_batch_keeps_order_and_survives_bad_lines(tmp_path):
    batch = tmp_path / "q.txt"
    batch.write_bytes(
        "入党要几个介绍人\n\xff\xfe坏行\n今天天气怎么样\n\n".encode("utf-8").replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
    )
    result = bot("ask", "--json", "--batch", str(batch))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == 4
    assert rows[0]["entry_id"] == "admission.sponsors"
    assert rows[1]["fallback"] is True and "line 2: invalid UTF-8" in rows[1]["error"]
    assert rows[2]["fallback"] is True and rows[2]["entry_id"] is None
    assert rows[3]["fallback"] is True  # empty line: friendly prompt


def test_check_passes_on_the_shipped_yaml():
    result = bot("check")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.decode().splitlines()[-1].startswith("OK: ")


def test_check_names_file_line_and_field_on_failure(tmp_path):
    for folder in ("knowledge", "rules"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = tmp_path / "knowledge" / "dues.yaml"
    text = path.read_text(encoding="utf-8")
    first_answer = text.index("    answer:")
    line = text[:first_answer].count("\n") + 1
    path.write_text(text.replace("    answer:", "    answr:", 1), encoding="utf-8")
    result = bot("check", str(tmp_path))
    out = result.stdout.decode()
    assert result.returncode == 1
    assert f"knowledge/dues.yaml:{line}: entries[0].answr: unknown field" in out
    assert "entries[0].answer: required field missing" in out
    assert out.splitlines()[-1].startswith("FAILED")


def test_run_with_closed_stdin_greets_and_exits_zero():
    result = bot(stdin=None)
    assert result.returncode == 0
    assert "支部助手" in result.stdout.decode()


def test_console_chat_answers_and_offers_numbered_choices():
    result = bot("chat", stdin="入党要几个介绍人\n1\n预备期从哪天算\nexit\n".encode())
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "入党介绍人" in out and "相关条目" in out and "预备期" in out and out.rstrip().endswith("再见！")


@pytest.mark.parametrize("args", [("ask",), ("evaluate", "full_members=2")])
def test_usage_errors_exit_2(args):
    assert bot(*args).returncode == 2


def test_ask_and_chat_log_every_exchange_and_no_log_skips(tmp_path):
    import sqlite3

    db = tmp_path / "q.db"
    env = {"ZHIBU_DB": str(db)}
    assert bot("ask", "入党要几个介绍人", env=env).returncode == 0
    assert bot("chat", stdin="预备期从哪天算\n今天天气怎么样\nexit\n".encode(), env=env).returncode == 0
    assert bot("ask", "--no-log", "入党年龄", env=env).returncode == 0
    rows = sqlite3.connect(db).execute("select channel, entry_id, fallback from queries order by ts").fetchall()
    assert rows == [
        ("cli", "admission.sponsors", 0),
        ("console", "admission.probation_length", 0),
        ("console", None, 1),
    ]


def test_unwritable_database_never_stops_answers(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = bot("ask", "入党要几个介绍人", env={"ZHIBU_DB": str(blocker / "sub" / "q.db")})
    assert result.returncode == 0
    assert "入党介绍人" in result.stdout.decode()


def test_evaluate_rejects_more_yes_votes_than_present_voters_like_chat():
    """Issue 13 bug 3: the CLI printed both 「❌ 会议不能进行表决」 and 「✅ 赞成票数符合要求」 for 15 yes votes
    with 10 present, while the same situation typed in chat was rejected. One validator now: rejected in both."""
    result = bot("evaluate", "topic=branch_vote", "expected_voters=20", "present_voters=10", "yes_votes=15")
    assert result.returncode == 2
    assert "赞成票（15）多于实到会人数（10）" in result.stderr.decode()
    assert "❌" not in result.stdout.decode() and "✅" not in result.stdout.decode()
    from datetime import date

    from rules.extract import extract

    typed = extract("应到20人，实到10人，赞成15票，通过了吗", date(2026, 11, 23))
    assert typed.problems == ("赞成票（15）多于实到会人数（10），请核对。",)
