"""Reminder storage: the m002 migration, subscriptions, chat settings, the exactly-once ledger under threads,
and restart / crash simulations with a controllable clock (plan, then claim, then send)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from reminders.planner import plan_deliveries
from reminders.load import load_reminders
from storage import (
    CHAT_SETTINGS_COLUMNS,
    REMINDER_SENT_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    ChatSettings,
    all_chat_settings,
    apply_migrations,
    applied_migrations,
    chat_settings,
    claim,
    disable_chat,
    mark_failed,
    mark_missed,
    mark_sent,
    migrate_chat,
    open_db,
    recover_stale,
    release,
    sent_history,
    set_chat_tz,
    set_term,
    subscribe,
    subscription,
    subscriptions,
    unsubscribe,
)
from storage.migrations import migrations

ROOT = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
CHAT = -100123


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture(scope="module")
def reminders():
    loaded, problems = load_reminders(ROOT / "knowledge", ROOT)
    assert loaded is not None, problems
    return loaded


# ------------------------------------------------------------------------------------------- migration


def test_m002_creates_the_reminder_tables(db):
    assert "m002_reminders" in applied_migrations(db)
    assert [c.name for c in db["subscriptions"].columns] == list(SUBSCRIPTION_COLUMNS)
    assert [c.name for c in db["reminders_sent"].columns] == list(REMINDER_SENT_COLUMNS)
    assert [c.name for c in db["chat_settings"].columns] == [*CHAT_SETTINGS_COLUMNS, "org_level"]  # + m004
    assert db["subscriptions"].pks == ["chat_id", "reminder_id"]
    assert db["chat_settings"].pks == ["chat_id"]
    unique = sorted(
        tuple(i.columns) for i in db["reminders_sent"].indexes if i.unique and not i.name.startswith("sqlite_")
    )
    assert unique == [("chat_id", "reminder_id", "due_at"), ("chat_id", "reminder_id", "event_key")]


def test_m004_adds_org_level_to_a_database_from_before_it(tmp_path):
    """A database in use before /term took a level keeps its terms; their level is NULL (the default 支部)."""
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m004_org_level")
    old["chat_settings"].insert(
        {"chat_id": CHAT, "term_start": "2022-06-01", "org_type": "机关", "updated_at": "2025-01-01T00:00:00+00:00"}
    )
    old.close()
    db = open_db(path)
    assert "m004_org_level" in applied_migrations(db)
    settings = chat_settings(db, CHAT)
    assert (settings.term_start, settings.org_type, settings.org_level) == (date(2022, 6, 1), "机关", None)
    assert set_term(db, CHAT, date(2022, 6, 1), "机关", "党委").org_level == "党委"
    db.close()


def test_migrations_twice_and_reopen(tmp_path):
    path = tmp_path / "zhibu.db"
    first = open_db(path)
    subscribe(first, CHAT, "dues", now=sh(2025, 1, 1))
    schema = first.schema
    assert apply_migrations(first) == []
    assert apply_migrations(first) == []
    first.close()
    second = open_db(path)
    assert second.schema == schema
    assert apply_migrations(second) == []
    assert applied_migrations(second).count("m002_reminders") == 1
    assert [s.reminder_id for s in subscriptions(second)] == ["dues"]
    second.close()


# ------------------------------------------------------------------------------------------- subscriptions


def test_subscribe_unsubscribe_and_list(db):
    t1, t2, t3 = sh(2025, 1, 1), sh(2025, 1, 2), sh(2025, 1, 3)
    sub = subscribe(db, CHAT, "dues", now=t1)
    assert (sub.chat_id, sub.reminder_id, sub.send_time, sub.tz, sub.enabled) == (CHAT, "dues", None, None, True)
    assert sub.created_at == sub.updated_at == t1
    subscribe(db, CHAT, "theme_day", "8:05", now=t1)
    subscribe(db, 42, "dues", time(7, 30), now=t1)
    again = subscribe(db, CHAT, "dues", "10:00", now=t2)
    assert (again.send_time, again.created_at, again.updated_at) == (time(10), t1, t2)
    assert unsubscribe(db, CHAT, "theme_day", now=t3) is True
    assert unsubscribe(db, CHAT, "theme_day", now=t3) is False
    assert unsubscribe(db, CHAT, "never", now=t3) is False
    assert [(s.chat_id, s.reminder_id) for s in subscriptions(db)] == [(CHAT, "dues"), (42, "dues")]
    assert [(s.reminder_id, s.enabled) for s in subscriptions(db, CHAT, enabled_only=False)] == [
        ("dues", True),
        ("theme_day", False),
    ]
    assert subscription(db, CHAT, "theme_day").send_time == time(8, 5)
    assert subscription(db, 42, "dues").send_time == time(7, 30)
    assert subscription(db, 1, "dues") is None


@pytest.mark.parametrize("bad", ["25:00", "9", "09:7", "ab:cd"])
def test_subscribe_refuses_bad_send_times(db, bad):
    with pytest.raises(ValueError, match="HH:MM"):
        subscribe(db, CHAT, "dues", bad)


def test_chat_settings(db):
    assert chat_settings(db, CHAT) == ChatSettings(CHAT)
    set_chat_tz(db, CHAT, "Europe/Berlin", now=sh(2025, 1, 1))
    settings = set_term(db, CHAT, date(2021, 5, 10), "村", now=sh(2025, 1, 2))
    assert (settings.tz, settings.term_start, settings.org_type, settings.disabled_reason) == (
        "Europe/Berlin",
        date(2021, 5, 10),
        "村",
        None,
    )
    assert settings.updated_at == sh(2025, 1, 2)
    assert settings.org_level is None
    set_term(db, CHAT, date(2024, 1, 1), None)
    assert chat_settings(db, CHAT).org_type is None
    assert set_term(db, CHAT, date(2022, 6, 1), "机关", "党委").org_level == "党委"
    set_term(db, CHAT, date(2022, 6, 1), "机关")  # a later /term without a level clears it
    assert chat_settings(db, CHAT).org_level is None
    assert set(all_chat_settings(db)) == {CHAT}
    with pytest.raises(ValueError, match="term_start must be a date"):
        set_term(db, CHAT, "2024-01-01", "村")


# ------------------------------------------------------------------------------------------- the ledger


DUE = datetime(2025, 12, 5, 1, 0, tzinfo=UTC)


def test_claim_is_first_come_and_any_row_blocks(db):
    assert claim(db, CHAT, "dues", DUE, event_key="2025-12-05") is True
    assert claim(db, CHAT, "dues", DUE, event_key="2025-12-05") is False
    assert claim(db, CHAT, "dues", DUE.astimezone(SH)) is False  # same moment, other zone
    assert claim(db, CHAT, "dues", DUE + timedelta(hours=1), event_key="2025-12-05") is False  # same event
    assert claim(db, CHAT, "theme_day", DUE, event_key="2025-12-05") is True
    assert claim(db, 42, "dues", DUE, event_key="2025-12-05") is True
    with pytest.raises(ValueError, match="timezone-aware"):
        claim(db, CHAT, "dues", datetime(2025, 12, 5, 1))


def test_status_transitions(db):
    now = sh(2025, 12, 5, 9, 1)
    assert mark_sent(db, CHAT, "dues", DUE, 7, now=now) is False  # nothing claimed
    assert claim(db, CHAT, "dues", DUE, now=now)
    assert mark_sent(db, CHAT, "dues", DUE, 7, now=now) is True
    assert mark_failed(db, CHAT, "dues", DUE, "late", now=now) is False  # settled
    assert mark_missed(db, CHAT, "dues", DUE, now=now) is False  # a send is never overwritten
    assert claim(db, CHAT, "x", DUE, now=now)
    assert mark_failed(db, CHAT, "x", DUE, "BadRequest: chat not found", now=now) is True
    assert claim(db, CHAT, "x", DUE, now=now) is False  # failed is final
    assert mark_missed(db, CHAT, "y", DUE, event_key="2025-12-05", now=now) is True
    assert claim(db, CHAT, "y", DUE, now=now) is False
    assert claim(db, CHAT, "z", DUE, now=now)
    assert release(db, CHAT, "z", DUE) is True
    assert claim(db, CHAT, "z", DUE, now=now) is True  # given back, claimable again
    rows = {(r.reminder_id, r.status, r.message_id, r.error) for r in sent_history(db, CHAT)}
    assert rows == {
        ("dues", "sent", 7, None),
        ("x", "failed", None, "BadRequest: chat not found"),
        ("y", "missed", None, None),
        ("z", "pending", None, None),
    }
    assert [r.reminder_id for r in sent_history(db, status="missed")] == ["y"]


def test_recover_stale_marks_unknown_and_never_resends(db):
    claimed_at = sh(2025, 12, 5, 9, 0)
    assert claim(db, CHAT, "dues", DUE, now=claimed_at)
    assert claim(db, CHAT, "fresh", DUE, now=sh(2025, 12, 5, 9, 8))
    stale = recover_stale(db, now=sh(2025, 12, 5, 9, 11), older_than=timedelta(minutes=10))
    assert [(r.reminder_id, r.status) for r in stale] == [("dues", "unknown")]
    assert claim(db, CHAT, "dues", DUE) is False
    assert {r.reminder_id: r.status for r in sent_history(db)} == {"dues": "unknown", "fresh": "pending"}
    assert mark_sent(db, CHAT, "dues", DUE, 9) is True  # a late confirmation still counts


@pytest.mark.parametrize("shared", [False, True], ids=["own connections on a file", "one shared connection"])
def test_claim_exactly_once_under_four_threads(tmp_path, shared):
    path = tmp_path / "zhibu.db"
    main = open_db(None if shared else path)
    keys = [(chat, rid, DUE + timedelta(days=d)) for chat in (1, 2, 3) for rid in ("a", "b") for d in range(5)]
    barrier = threading.Barrier(4)
    wins: list[tuple] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def worker():
        db = main if shared else open_db(path)
        try:
            barrier.wait()
            for chat, rid, due in keys:
                if claim(db, chat, rid, due, event_key=due.date().isoformat()):
                    with lock:
                        wins.append((chat, rid, due))
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            if not shared:
                db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(wins) == sorted(keys)  # every occurrence claimed exactly once across the four threads
    assert main["reminders_sent"].count == len(keys)
    main.close()


# ------------------------------------------------------------------------------------------- chat lifecycle


def test_disable_chat(db, reminders):
    subscribe(db, CHAT, "dues", now=sh(2025, 11, 1))
    subscribe(db, CHAT, "theme_day", now=sh(2025, 11, 1))
    subscribe(db, 42, "dues", now=sh(2025, 11, 1))
    assert disable_chat(db, CHAT, "Forbidden: bot was kicked", now=sh(2025, 11, 2)) == 2
    assert chat_settings(db, CHAT).disabled_reason == "Forbidden: bot was kicked"
    assert [s.chat_id for s in subscriptions(db)] == [42]
    assert len(subscriptions(db, CHAT, enabled_only=False)) == 2
    plan = plan_deliveries(
        reminders,
        subscriptions(db, enabled_only=False),
        all_chat_settings(db),
        now=sh(2025, 12, 5, 9, 1),
        since=sh(2025, 12, 5, 8, 59),
        grace=timedelta(hours=12),
    )
    assert [(d.chat_id, d.reminder_id) for d in plan] == [(42, "dues")]
    subscribe(db, CHAT, "dues", now=sh(2025, 11, 3))  # back in the group: /remind on clears the reason
    assert chat_settings(db, CHAT).disabled_reason is None
    assert [s.reminder_id for s in subscriptions(db, CHAT)] == ["dues"]


def test_migrate_chat_moves_everything(db):
    new = -1009999
    subscribe(db, CHAT, "dues", "08:00", now=sh(2025, 11, 1))
    subscribe(db, CHAT, "theme_day", now=sh(2025, 11, 1))
    subscribe(db, new, "theme_day", "07:00", now=sh(2025, 11, 2))  # already there: the new chat's row wins
    set_term(db, CHAT, date(2021, 5, 10), "村")
    set_chat_tz(db, CHAT, "Asia/Urumqi")
    assert claim(db, CHAT, "dues", DUE, event_key="2025-12-05")  # a send in flight when ChatMigrated came
    assert claim(db, CHAT, "theme_day", DUE - timedelta(days=4), event_key="2025-12-01")
    mark_sent(db, CHAT, "theme_day", DUE - timedelta(days=4), 5)
    moved = migrate_chat(db, CHAT, new)
    assert moved == {"subscriptions": 1, "reminders_sent": 2, "chat_settings": 1}
    assert subscriptions(db, CHAT, enabled_only=False) == []
    assert [(s.reminder_id, s.send_time) for s in subscriptions(db, new)] == [("dues", time(8)), ("theme_day", time(7))]
    settings = chat_settings(db, new)
    assert (settings.tz, settings.term_start, settings.org_type) == ("Asia/Urumqi", date(2021, 5, 10), "村")
    assert chat_settings(db, CHAT) == ChatSettings(CHAT)
    assert mark_sent(db, new, "dues", DUE, 77) is True  # the retry under the new id completes the claim
    assert claim(db, new, "dues", DUE) is False
    assert {(r.reminder_id, r.status) for r in sent_history(db, new)} == {("dues", "sent"), ("theme_day", "sent")}
    assert sent_history(db, CHAT) == []
    assert migrate_chat(db, new, new) == {"subscriptions": 0, "chat_settings": 0, "reminders_sent": 0}


def test_migrate_chat_merges_settings(db):
    set_term(db, CHAT, date(2021, 5, 10), "机关", "党委")
    set_chat_tz(db, -200, "UTC")
    migrate_chat(db, CHAT, -200)
    settings = chat_settings(db, -200)
    assert (settings.tz, settings.term_start, settings.org_type, settings.org_level) == (
        "UTC",
        date(2021, 5, 10),
        "机关",
        "党委",
    )
    assert all_chat_settings(db).keys() == {-200}


# ------------------------------------------------------------------------------------------- restarts


@dataclass
class FakeBot:
    """The delivery loop the Telegram side runs: plan, then claim, then send. `crash_after_claim` stops
    the process between the claim and the send (the message never leaves)."""

    db: object
    reminders: object
    grace: timedelta = timedelta(hours=12)
    sent: list = field(default_factory=list)
    crash_after_claim: bool = False

    def start(self, now: datetime) -> None:
        """A process start: recover stale claims, then catch up (since=None)."""
        recover_stale(self.db, now=now)
        self.tick(now, since=None)

    def tick(self, now: datetime, since: datetime | None) -> None:
        plan = plan_deliveries(
            self.reminders, subscriptions(self.db), all_chat_settings(self.db), now=now, since=since, grace=self.grace
        )
        for d in plan:
            if d.missed:
                mark_missed(self.db, d.chat_id, d.reminder_id, d.due_at, event_key=d.event_key, now=now)
                continue
            if not claim(self.db, d.chat_id, d.reminder_id, d.due_at, event_key=d.event_key, now=now):
                continue
            if self.crash_after_claim:
                raise SystemExit("crashed mid-send")
            self.sent.append((d.chat_id, d.reminder_id, d.due_at, d.catch_up, d.text))
            mark_sent(self.db, d.chat_id, d.reminder_id, d.due_at, len(self.sent), now=now)


@pytest.fixture
def filedb(tmp_path):
    path = tmp_path / "zhibu.db"
    handles = []

    def reopen():
        db = open_db(path)
        handles.append(db)
        return db

    yield reopen
    for db in handles:
        db.close()


DUES_DEC = sh(2025, 12, 5)  # dues: the 5th at 09:00, a Friday


def test_restart_sends_a_missed_occurrence_once(filedb, reminders):
    db = filedb()
    subscribe(db, CHAT, "dues", now=sh(2025, 11, 20, 10))
    db.close()  # "stop" before the due time
    bot = FakeBot(filedb(), reminders)
    bot.start(sh(2025, 12, 5, 15))  # six hours after the due time, within the 12-hour grace
    assert [(c, r, due, catch_up) for c, r, due, catch_up, _ in bot.sent] == [(CHAT, "dues", DUES_DEC, True)]
    assert "12月党费" in bot.sent[0][4]
    again = FakeBot(filedb(), reminders)
    again.start(sh(2025, 12, 5, 16))  # a second restart
    assert again.sent == []
    assert [(r.status, r.message_id) for r in sent_history(again.db, CHAT)] == [("sent", 1)]


def test_restart_beyond_grace_records_missed_and_sends_nothing(filedb, reminders):
    subscribe(filedb(), CHAT, "dues", now=sh(2025, 11, 20, 10))
    bot = FakeBot(filedb(), reminders)
    bot.start(sh(2025, 12, 6, 10))  # 25 hours late
    assert bot.sent == []
    assert [(r.due_at, r.status, r.event_key) for r in sent_history(bot.db, CHAT)] == [
        (DUES_DEC, "missed", "2025-12-05")
    ]
    later = FakeBot(filedb(), reminders)
    later.start(sh(2025, 12, 6, 11))
    assert later.sent == [] and len(sent_history(later.db)) == 1


def test_grace_is_passed_in(filedb, reminders):
    subscribe(filedb(), CHAT, "dues", now=sh(2025, 11, 20, 10))
    bot = FakeBot(filedb(), reminders, grace=timedelta(hours=2))
    bot.start(sh(2025, 12, 5, 15))
    assert bot.sent == [] and sent_history(bot.db)[0].status == "missed"


def test_ticks_send_on_time_once(filedb, reminders):
    db = filedb()
    subscribe(db, CHAT, "dues", now=sh(2025, 11, 20, 10))
    bot = FakeBot(db, reminders)
    bot.start(sh(2025, 12, 5, 8, 58))
    bot.tick(sh(2025, 12, 5, 8, 59), since=sh(2025, 12, 5, 8, 58))
    assert bot.sent == []
    bot.tick(sh(2025, 12, 5, 9, 0), since=sh(2025, 12, 5, 8, 59))
    bot.tick(sh(2025, 12, 5, 9, 0), since=sh(2025, 12, 5, 8, 59))  # the same tick twice (a retry)
    bot.tick(sh(2025, 12, 5, 9, 1), since=sh(2025, 12, 5, 8, 58))  # overlapping windows
    assert [(due, catch_up) for _c, _r, due, catch_up, _t in bot.sent] == [(DUES_DEC, False)]


def test_changing_the_send_time_after_a_send_does_not_resend(filedb, reminders):
    db = filedb()
    subscribe(db, CHAT, "dues", now=sh(2025, 11, 20, 10))
    bot = FakeBot(db, reminders)
    bot.tick(sh(2025, 12, 5, 9, 0), since=sh(2025, 12, 5, 8, 59))
    subscribe(db, CHAT, "dues", "10:00", now=sh(2025, 12, 5, 9, 30))  # /remind on dues 10:00
    bot.tick(sh(2025, 12, 5, 10, 0), since=sh(2025, 12, 5, 9, 59))
    set_chat_tz(db, CHAT, "Europe/Berlin")  # /remind tz: 10:00 Berlin is later still
    bot.tick(sh(2025, 12, 5, 17, 0), since=sh(2025, 12, 5, 10, 0))
    assert len(bot.sent) == 1
    bot.tick(sh(2026, 1, 5, 17, 0), since=sh(2026, 1, 5, 16, 59))  # next month: 10:00 Berlin = 17:00 Shanghai
    assert [s[2] for s in bot.sent] == [DUES_DEC, datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("Europe/Berlin"))]


def test_crash_between_claim_and_send_is_at_most_once(filedb, reminders):
    subscribe(filedb(), CHAT, "dues", now=sh(2025, 11, 20, 10))
    crashing = FakeBot(filedb(), reminders, crash_after_claim=True)
    with pytest.raises(SystemExit):
        crashing.start(sh(2025, 12, 5, 9, 0))
    restarted = FakeBot(filedb(), reminders)
    restarted.start(sh(2025, 12, 5, 9, 20))
    assert restarted.sent == []
    assert [r.status for r in sent_history(restarted.db, CHAT)] == ["unknown"]


def test_term_reminders_through_the_loop(filedb, reminders):
    db = filedb()
    set_term(db, CHAT, date(2021, 5, 10), "村")
    subscribe(db, CHAT, "term_end", now=sh(2025, 11, 1))  # /term subscribes the chat to term_end
    bot = FakeBot(db, reminders)
    bot.start(sh(2025, 11, 10, 12))  # the 6-month reminder went due at 09:00
    assert [(due, text.splitlines()[0]) for _c, rid, due, _cu, text in bot.sent] == [
        (
            sh(2025, 11, 10),
            "【换届提醒】按登记的任期起始日推算，本支部委员会（每届5年）将于2026年5月10日任期届满，距今约6个月。",
        )
    ]
    bot.tick(sh(2026, 2, 10, 9, 0), since=sh(2026, 2, 10, 8, 59))
    bot.tick(sh(2026, 4, 10, 9, 0), since=sh(2026, 4, 10, 8, 59))
    assert [s[2].date() for s in bot.sent] == [date(2025, 11, 10), date(2026, 2, 10), date(2026, 4, 10)]
