"""Fixtures for the storage tests: an in-memory database, and one seeded with fixed rows."""

from datetime import datetime, timezone

import pytest

from storage import FEEDBACK_COLUMNS, QUERY_COLUMNS, open_db

#: The fixed "now" of every seeded test: 2025-03-10 12:00 Beijing time.
NOW = datetime(2025, 3, 10, 4, 0, tzinfo=timezone.utc)

A = "入党积极分子的考察表怎么填"
B = "入党积极分子考察表怎么填？"
C = "党员大会要多少人到场才有效"
D = "党员大会要多少人到会才有效"

# id, ts (UTC), text, normalized, entry_id, score, fallback, verdicts, latency_ms
QUERIES = [
    ("q01", "2025-03-08T17:00:00Z", "积极分子多久考察一次", None, "admission.activist_review", 0.9, 0, "[]", 10),
    (
        "q02",
        "2025-03-09T01:00:00Z",
        "积极分子考察频次",
        None,
        "admission.activist_review",
        0.85,
        0,
        '[{"rule_id":"branch.setup_min_members","outcome":"fail"}]',
        20,
    ),
    (
        "q03",
        "2025-03-09T02:00:00Z",
        "党费标准是多少",
        None,
        "dues.standard",
        0.8,
        0,
        '[{"rule_id":"dues.rate","outcome":"info"},{"rule_id":"branch.setup_min_members","outcome":"pass"}]',
        30,
    ),
    ("q04", "2025-03-09T03:00:00Z", A, A, None, 0.2, 1, "[]", 40),
    ("q05", "2025-03-09T05:00:00Z", B, "入党积极分子考察表怎么填?", None, 0.1, 1, "[]", 50),
    ("q06", "2025-03-09T16:30:00Z", A, A, None, 0.25, 1, None, 60),
    ("q07", "2025-03-10T01:00:00Z", C, C, "meeting.quorum", 0.4, 0, "[]", 70),
    ("q08", "2025-03-10T02:00:00Z", "今天天气怎么样", None, None, 0.05, 1, "[]", 80),
    (
        "q09",
        "2025-03-10T03:00:00Z",
        "党费按什么比例交",
        None,
        "dues.standard",
        0.95,
        0,
        '[{"rule_id":"dues.rate"}]',
        90,
    ),
    ("q10", "2025-03-10T03:30:00Z", "积极分子考察", None, "admission.activist_review", 0.9, 0, "[]", 1000),
    ("q11", "2025-01-01T00:00:00Z", "党费怎么交", None, None, 0.1, 1, "[]", 5),
    ("q12", "2025-03-10T03:40:00Z", D, D, None, 0.3, 1, "[]", 100),
]

# query_id, value, ts (UTC)
FEEDBACK = [
    ("q01", 1, "2025-03-08T17:05:00Z"),
    ("q02", 1, "2025-03-09T01:05:00Z"),
    ("q04", -1, "2025-03-09T03:05:00Z"),
    ("q11", -1, "2025-01-01T00:05:00Z"),
]


@pytest.fixture
def db():
    """A fresh, migrated in-memory database."""
    database = open_db(None)
    yield database
    database.close()


@pytest.fixture
def seeded(db):
    """The in-memory database holding QUERIES and FEEDBACK, timestamps in the stored UTC ISO form."""
    names = ["id", "ts", "text", "normalized", "entry_id", "score", "fallback", "verdicts", "latency_ms"]
    rows = []
    for values in QUERIES:
        row = dict.fromkeys(QUERY_COLUMNS)
        row.update(zip(names, values), channel="telegram", chat_type="group", chat_id=-100123, kb_version="kb-1")
        row["ts"] = row["ts"].replace("Z", ".000000+00:00")
        rows.append(row)
    db["queries"].insert_all(rows)
    db["feedback"].insert_all(
        dict(zip(FEEDBACK_COLUMNS, (q, v, ts.replace("Z", ".000000+00:00")))) for q, v, ts in FEEDBACK
    )
    return db


@pytest.fixture
def now():
    """The fixed "now" of the seeded tests."""
    return NOW
