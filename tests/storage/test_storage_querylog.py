"""The query log: rows written in the background, nothing lost, ids private."""

import dataclasses
import logging
import os
import re
import threading

import pytest

from storage import QueryLog, open_db

SALT = b"test-salt"
HASH_42 = "7dbb05509e88fffe0ffc943ffdd5cf33dcc3d25fc0a15faadaac08186fdd8146"


@dataclasses.dataclass(frozen=True)
class Verdict:
    rule_id: str
    outcome: str


def test_log_writes_one_row(db):
    qlog = QueryLog(db, SALT)
    qid = qlog.log(
        ts="2025-03-10T12:00:00+08:00",
        channel="telegram",
        chat_id=-100123,
        chat_type="supergroup",
        user_id=42,
        text="支部委员会怎么选",
        normalized="支部委员会怎么选",
        script="simplified",
        entry_id="election.committee",
        score=0.87,
        fallback=False,
        verdicts=[],
        latency_ms=12.5,
        kb_version="kb-1",
    )
    assert qlog.flush()
    assert list(db["queries"].rows) == [
        {
            "id": qid,
            "ts": "2025-03-10T04:00:00.000000+00:00",
            "channel": "telegram",
            "chat_id": -100123,
            "chat_type": "supergroup",
            "user_hash": HASH_42,
            "text": "支部委员会怎么选",
            "normalized": "支部委员会怎么选",
            "script": "simplified",
            "entry_id": "election.committee",
            "score": 0.87,
            "fallback": 0,
            "verdicts": "[]",
            "latency_ms": 12.5,
            "kb_version": "kb-1",
            "kind": None,
            "picked_from": None,
        }
    ]
    qlog.close()


@pytest.mark.parametrize(
    "verdicts, stored",
    [
        (None, None),
        ([], "[]"),
        ([{"rule_id": "branch.min_members", "outcome": "fail"}], '[{"rule_id":"branch.min_members","outcome":"fail"}]'),
        ([Verdict("dues.rate", "info")], '[{"rule_id":"dues.rate","outcome":"info"}]'),
        (["a.one", "b.two"], '[{"rule_id":"a.one"},{"rule_id":"b.two"}]'),
        ('[{"rule_id":"x"}]', '[{"rule_id":"x"}]'),
    ],
)
def test_verdicts_are_stored_as_json(db, verdicts, stored):
    with QueryLog(db, SALT) as qlog:
        qlog.log(text="问", verdicts=verdicts)
    assert db.execute("select verdicts from queries").fetchone()[0] == stored


@pytest.mark.parametrize(
    "chat_id, chat_type, user_id, stored_chat_id",
    [
        (-100123, "group", 42, -100123),
        (42, "private", 42, None),  # a private chat id is the user id
        (42, None, 42, None),
        (None, None, 42, None),
        (777, "channel", None, 777),
    ],
)
def test_private_chat_ids_are_not_stored(db, chat_id, chat_type, user_id, stored_chat_id):
    with QueryLog(db, SALT) as qlog:
        qlog.log(text="问", chat_id=chat_id, chat_type=chat_type, user_id=user_id)
    assert db.execute("select chat_id from queries").fetchone()[0] == stored_chat_id


@pytest.mark.parametrize("user_id, expected", [(42, HASH_42), ("42", HASH_42), (None, None)])
def test_hash_user(user_id, expected):
    qlog = QueryLog(None, SALT)
    assert qlog.hash_user(user_id) == expected
    qlog.close()


def test_ids_are_uuid4_hex_known_before_the_write(db):
    qlog = QueryLog(db, SALT)
    ids = [qlog.log(text=str(i)) for i in range(3)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == 3
    qlog.close()
    assert sorted(r["id"] for r in db["queries"].rows) == sorted(ids)


def test_feedback_is_written_and_bad_values_refused(db, caplog):
    qlog = QueryLog(db, SALT)
    qid = qlog.log(text="问")
    assert qlog.feedback(qid, 1, ts="2025-03-10T04:00:00Z") is True
    assert qlog.feedback(qid, -1, ts="2025-03-10T04:01:00Z") is True
    assert qlog.feedback(qid, 0) is False
    qlog.close()
    assert [tuple(r.values()) for r in db["feedback"].rows] == [
        (qid, 1, "2025-03-10T04:00:00.000000+00:00"),
        (qid, -1, "2025-03-10T04:01:00.000000+00:00"),
    ]
    assert len([r for r in caplog.records if r.name == "zhibu.storage"]) == 1


def test_unknown_fields_are_dropped_with_one_warning(db, caplog):
    with QueryLog(db, SALT) as qlog:
        qlog.log(text="一", colour="red")
        qlog.log(text="二", colour="blue")
    assert db["queries"].count == 2
    assert [r.getMessage() for r in caplog.records] == ["query log: ignoring unknown field 'colour'"]


def test_bad_arguments_never_raise(db):
    with QueryLog(db, SALT) as qlog:
        qid = qlog.log(text="问", ts="not a time")
        assert re.fullmatch(r"[0-9a-f]{32}", qid)
        qlog.log(text="\ud800 lone surrogate", chat_id="not a number", score="high")
    assert [tuple(r) for r in db.execute("select text, chat_id, score from queries")] == [
        ("? lone surrogate", None, None)
    ]


def test_log_after_close_returns_an_id_and_writes_nothing(db):
    qlog = QueryLog(db, SALT)
    qlog.close()
    assert re.fullmatch(r"[0-9a-f]{32}", qlog.log(text="迟到"))
    assert db["queries"].count == 0


def test_four_threads_lose_no_rows(tmp_path):
    path = tmp_path / "zhibu.db"
    qlog = QueryLog(path, SALT)
    ids: list[list[str]] = [[] for _ in range(4)]

    def work(n: int) -> None:
        for i in range(2500):
            ids[n].append(qlog.log(channel="cli", text=f"线程{n}第{i}问", user_id=n, latency_ms=1.0))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qlog.close()
    db = open_db(path)
    assert db["queries"].count == 10_000
    assert db.execute("select count(distinct id) from queries").fetchone()[0] == 10_000
    assert {r["id"] for r in db["queries"].rows} == {i for chunk in ids for i in chunk}
    assert qlog.written == 10_000
    assert qlog.dropped == 0
    db.close()


def test_rows_of_a_burst_share_a_few_transactions(tmp_path):
    """Group commit: answers arriving a few ms apart are written together, not one transaction each."""
    import time

    qlog = QueryLog(tmp_path / "zhibu.db", SALT)
    for i in range(60):
        qlog.log(channel="telegram", text=f"第{i}问", user_id=i, latency_ms=1.0)
        time.sleep(0.002)  # about what one answer takes: the writer would otherwise wake for each row
    qlog.close()
    assert qlog.written == 60
    assert qlog.commits <= 6  # ~130 ms of rows, 50 ms of lingering per transaction


def test_no_raw_user_id_in_the_database_file(tmp_path):
    path = tmp_path / "zhibu.db"
    qlog = QueryLog(path, SALT)
    qlog.log(channel="telegram", chat_id=987654321, chat_type="private", user_id=987654321, text="党费怎么交")
    qlog.log(channel="telegram", chat_id=-1001, chat_type="group", user_id=987654321, text="支部怎么换届")
    qid = qlog.log(channel="telegram", chat_id=987654321, user_id=987654321, text="谈心谈话")
    qlog.feedback(qid, 1)
    expected_hash = qlog.hash_user(987654321)
    qlog.close()
    files = [p for p in (path, tmp_path / "zhibu.db-wal") if p.exists()]
    assert files
    for file in files:
        assert b"987654321" not in file.read_bytes()
    db = open_db(path)
    assert {r["user_hash"] for r in db["queries"].rows} == {expected_hash}
    db.close()


# -- write failures ------------------------------------------------------------------------------------


def _parent_is_a_file(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    return blocker / "zhibu.db", blocker.unlink


def _path_is_a_folder(tmp_path):
    folder = tmp_path / "zhibu.db"
    folder.mkdir()
    return folder, folder.rmdir


def _locked_by_another_connection(tmp_path):
    path = tmp_path / "zhibu.db"
    holder = open_db(path)
    holder.conn.execute("BEGIN EXCLUSIVE")
    holder.execute("insert into feedback (query_id, value, ts) values ('x', 1, 'now')")

    def release():
        holder.conn.rollback()
        holder.close()

    return path, release


def _read_only_file_and_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "zhibu.db"
    open_db(path).close()
    path.chmod(0o444)
    folder.chmod(0o555)

    def release():
        folder.chmod(0o755)
        path.chmod(0o644)

    return path, release


FAILURES = [
    pytest.param(_parent_is_a_file, id="parent-is-a-file"),
    pytest.param(_path_is_a_folder, id="path-is-a-folder"),
    pytest.param(_locked_by_another_connection, id="lock-outlasts-busy-timeout"),
    pytest.param(
        _read_only_file_and_folder,
        id="read-only-file",
        marks=pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes"),
    ),
]


@pytest.mark.parametrize("make_failure", FAILURES)
def test_write_failure_is_logged_once_and_recovers(tmp_path, caplog, make_failure):
    path, repair = make_failure(tmp_path)
    caplog.set_level(logging.INFO, logger="zhibu.storage")
    qlog = QueryLog(path, SALT, retry_interval=0.02, busy_timeout_ms=20)
    ids = [qlog.log(channel="cli", text=f"问题{i}", user_id=i) for i in range(20)]
    assert len(set(ids)) == 20
    assert qlog.flush(timeout=0.3) is False
    ids += [qlog.log(channel="cli", text=f"又一问{i}") for i in range(5)]
    assert qlog.flush(timeout=0.2) is False
    messages = [r.getMessage() for r in caplog.records if r.name == "zhibu.storage"]
    assert len(messages) == 1
    assert messages[0].startswith(f"query log: cannot write to {path} (")
    assert qlog.failing is True

    repair()
    assert qlog.flush(timeout=10) is True
    qlog.close()
    messages = [r.getMessage() for r in caplog.records if r.name == "zhibu.storage"]
    assert len(messages) == 2
    assert (
        messages[1] == f"query log: writing to {path} again; 25 queued rows written, 0 dropped in total (backlog full)"
    )
    db = open_db(path)
    assert sorted(r["id"] for r in db["queries"].rows) == sorted(ids)
    db.close()


def test_backlog_is_bounded_oldest_dropped(tmp_path, caplog):
    path, repair = _parent_is_a_file(tmp_path)
    qlog = QueryLog(path, SALT, max_backlog=5, retry_interval=0.02)
    ids = [qlog.log(text=f"问题{i}") for i in range(8)]
    assert qlog.flush(timeout=0.3) is False
    repair()
    assert qlog.flush(timeout=10) is True
    qlog.close()
    assert (qlog.written, qlog.dropped) == (5, 3)
    db = open_db(path)
    assert sorted(r["id"] for r in db["queries"].rows) == sorted(ids[3:])
    db.close()


def test_close_reports_rows_it_could_not_write(tmp_path, caplog):
    path, _repair = _parent_is_a_file(tmp_path)
    qlog = QueryLog(path, SALT, retry_interval=0.02)
    qlog.log(text="问")
    qlog.close(timeout=0.2)
    assert [r.getMessage().split(";")[0] for r in caplog.records][-1] == (
        f"query log: closed with 1 rows that could not be written to {path}"
    )
