"""Schema and migrations."""

from storage import apply_migrations, applied_migrations, open_db
from storage.migrations import migrations

#: Every registered migration, oldest first (m001 queries/feedback, m002 reminders, …).
ALL = [m.name for m in migrations._migrations]


def test_in_memory_database_is_migrated(db):
    assert db.table_names()[:3] == ["_sqlite_migrations", "queries", "feedback"]
    assert applied_migrations(db) == ALL
    assert ALL[:2] == ["m001_queries_feedback", "m002_reminders"]


def test_applying_migrations_twice_is_a_no_op(db):
    before = db.schema
    assert apply_migrations(db) == []
    assert apply_migrations(db) == []
    assert db.schema == before
    assert db["_sqlite_migrations"].count == len(ALL)


def test_reopening_a_file_database_keeps_the_schema(tmp_path):
    path = tmp_path / "sub" / "zhibu.db"
    first = open_db(path)
    schema = first.schema
    first.close()
    second = open_db(path)
    assert second.schema == schema
    assert applied_migrations(second) == ALL
    assert second["_sqlite_migrations"].count == len(ALL)
    second.close()


def test_file_database_uses_wal_and_busy_timeout(tmp_path):
    db = open_db(tmp_path / "zhibu.db")
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    db.close()


def test_queries_columns_and_indexes(db):
    assert [(c.name, c.type) for c in db["queries"].columns] == [
        ("id", "TEXT"),
        ("ts", "TEXT"),
        ("channel", "TEXT"),
        ("chat_id", "INTEGER"),
        ("chat_type", "TEXT"),
        ("user_hash", "TEXT"),
        ("text", "TEXT"),
        ("normalized", "TEXT"),
        ("script", "TEXT"),
        ("entry_id", "TEXT"),
        ("score", "REAL"),
        ("fallback", "INTEGER"),
        ("verdicts", "TEXT"),
        ("latency_ms", "REAL"),
        ("kb_version", "TEXT"),
        ("kind", "TEXT"),
        ("picked_from", "TEXT"),
    ]
    assert db["queries"].pks == ["id"]
    assert sorted(i.name for i in db["queries"].indexes if not i.name.startswith("sqlite_")) == [
        "idx_queries_entry_id",
        "idx_queries_ts",
    ]
    assert [(c.name, c.type) for c in db["feedback"].columns] == [
        ("query_id", "TEXT"),
        ("value", "INTEGER"),
        ("ts", "TEXT"),
    ]


def test_default_db_path(monkeypatch):
    from storage import default_db_path

    monkeypatch.delenv("ZHIBU_DB", raising=False)
    assert default_db_path() == "data/zhibu.db"
    monkeypatch.setenv("ZHIBU_DB", "/srv/zhibu/q.db")
    assert default_db_path() == "/srv/zhibu/q.db"


def test_threads_opening_a_new_file_create_the_schema_once(tmp_path):
    import threading

    path = tmp_path / "zhibu.db"
    counts, errors = [], []

    def opener():
        try:
            db = open_db(path)
            counts.append(db["_sqlite_migrations"].count)
            db.close()
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (errors, counts) == ([], [len(ALL)] * 6)
