"""Export, purge and retention on seeded rows (see conftest.QUERIES), against a fixed now."""

import csv
import io
import json
from datetime import date

import pytest

from storage import QUERY_COLUMNS, apply_retention, export_rows, purge, retention_days


@pytest.mark.parametrize(
    "since, count, first_id",
    [
        (date(2025, 3, 10), 6, "q06"),  # Beijing midnight = 2025-03-09 16:00 UTC
        (date(2025, 3, 9), 11, "q01"),
        (date(2025, 1, 1), 12, "q11"),
        (date(2025, 3, 11), 0, None),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_rows(seeded, since, count, first_id, fmt):
    out = io.StringIO()
    assert export_rows(seeded, since, fmt, out) == count
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert out.getvalue().splitlines()[0] == ",".join(QUERY_COLUMNS)
    else:
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == count
    assert (rows[0]["id"] if rows else None) == first_id


def test_export_jsonl_row(seeded):
    out = io.StringIO()
    export_rows(seeded, date(2025, 3, 10), "jsonl", out)
    assert json.loads(out.getvalue().splitlines()[-1]) == {
        "id": "q12",
        "ts": "2025-03-10T03:40:00.000000+00:00",
        "channel": "telegram",
        "chat_id": -100123,
        "chat_type": "group",
        "user_hash": None,
        "text": "党员大会要多少人到会才有效",
        "normalized": "党员大会要多少人到会才有效",
        "script": None,
        "entry_id": None,
        "score": 0.3,
        "fallback": 1,
        "verdicts": [],
        "latency_ms": 100.0,
        "kb_version": "kb-1",
        "kind": None,
        "picked_from": None,
    }
    assert "党员大会" in out.getvalue()  # UTF-8, not \\u escapes


def test_export_csv_keeps_verdicts_as_json_text(seeded):
    out = io.StringIO()
    export_rows(seeded, date(2025, 3, 10), "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["verdicts"] for r in rows if r["id"] == "q09"] == ['[{"rule_id":"dues.rate"}]']


def test_export_rejects_unknown_format(seeded):
    with pytest.raises(ValueError, match="'csv' or 'jsonl'"):
        export_rows(seeded, date(2025, 3, 10), "xml", io.StringIO())


@pytest.mark.parametrize(
    "older_than_days, deleted, queries_left, feedback_left",
    [
        (400, 0, 12, 4),
        (30, 1, 11, 3),  # q11 and its 👎
        (1, 5, 7, 0),  # q01–q04 and q11, all four votes
        (0, 12, 0, 0),
    ],
)
def test_purge(seeded, older_than_days, deleted, queries_left, feedback_left, now):
    assert purge(seeded, older_than_days, now) == deleted
    assert (seeded["queries"].count, seeded["feedback"].count) == (queries_left, feedback_left)


def test_purge_rejects_negative_days(seeded, now):
    with pytest.raises(ValueError):
        purge(seeded, -1, now)


@pytest.mark.parametrize(
    "env, days, deleted",
    [(None, 365, 0), ("30", 30, 1), ("1", 1, 5), ("0", None, 0), ("soon", 365, 0)],
)
def test_retention(seeded, monkeypatch, env, days, deleted, now):
    if env is None:
        monkeypatch.delenv("ZHIBU_RETENTION_DAYS", raising=False)
    else:
        monkeypatch.setenv("ZHIBU_RETENTION_DAYS", env)
    assert retention_days() == days
    assert apply_retention(seeded, now) == deleted
