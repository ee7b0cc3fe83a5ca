"""Scheduling tables (pure, fixed clocks): schedule kinds, PRC holidays and 调休, lead days, zones, cron,
换届 term ends, placeholders, and the planner's catch-up / missed decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reminders.planner import Delivery, grace_from_hours, next_send, plan_deliveries, preview, upcoming
from reminders.load import ReminderSet
from reminders.schedule import (
    Cron,
    MonthlyDay,
    MonthlyWeekday,
    Occurrence,
    Quarterly,
    Reminder,
    TermReminder,
    Weekly,
    Yearly,
    add_months,
    next_occurrences,
    occurrences_between,
    parse_cron,
    parse_hhmm,
    parse_tz,
    parse_weekday,
    render_text,
    shift_for_holiday,
    term_end,
    term_reminders,
    workday_status,
)

SH = ZoneInfo("Asia/Shanghai")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def rem(schedule, at="09:00", lead=0, mode="keep", text="{date}", rid="r"):
    return Reminder(rid, "T", text, schedule, None if isinstance(schedule, Cron) else parse_hhmm(at), lead, mode)


def cron(expr):
    return Cron(expr, parse_cron(expr))


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def dues(occs):
    return [o.due_at.strftime("%Y-%m-%d %H:%M") for o in occs]


# ------------------------------------------------------------------------------------------- schedule kinds

NEXT = [
    # month ends: the 31st in short months is the last day
    (
        "31st, short months",
        MonthlyDay(31),
        sh(2025, 1, 31, 10),
        4,
        ["2025-02-28 09:00", "2025-03-31 09:00", "2025-04-30 09:00", "2025-05-31 09:00"],
    ),
    ("31st, leap February", MonthlyDay(31), sh(2024, 1, 31, 9), 2, ["2024-02-29 09:00", "2024-03-31 09:00"]),
    ("30th in February", MonthlyDay(30), sh(2025, 1, 30, 9), 2, ["2025-02-28 09:00", "2025-03-30 09:00"]),
    ("1st, before the time today", MonthlyDay(1), sh(2025, 12, 1, 8, 59), 1, ["2025-12-01 09:00"]),
    ("1st, exactly at the time (after is exclusive)", MonthlyDay(1), sh(2025, 12, 1, 9), 1, ["2026-01-01 09:00"]),
    ("year rollover", MonthlyDay(15), sh(2025, 12, 20), 2, ["2026-01-15 09:00", "2026-02-15 09:00"]),
    # Nth weekday and last weekday
    (
        "2nd Friday",
        MonthlyWeekday(2, FRI),
        sh(2025, 1, 1),
        3,
        ["2025-01-10 09:00", "2025-02-14 09:00", "2025-03-14 09:00"],
    ),
    (
        "1st Monday, exclusive start",
        MonthlyWeekday(1, MON),
        sh(2025, 9, 1),
        2,
        ["2025-10-06 09:00", "2025-11-03 09:00"],
    ),
    ("4th Thursday", MonthlyWeekday(4, THU), sh(2025, 10, 1), 2, ["2025-10-23 09:00", "2025-11-27 09:00"]),
    (
        "last Friday",
        MonthlyWeekday(-1, FRI),
        sh(2025, 1, 1),
        3,
        ["2025-01-31 09:00", "2025-02-28 09:00", "2025-03-28 09:00"],
    ),
    ("last Monday", MonthlyWeekday(-1, MON), sh(2025, 3, 1), 2, ["2025-03-31 09:00", "2025-04-28 09:00"]),
    # quarterly (month of the quarter + day)
    (
        "quarterly 1st month day 1",
        Quarterly(1, 1),
        sh(2025, 1, 1, 10),
        4,
        ["2025-04-01 09:00", "2025-07-01 09:00", "2025-10-01 09:00", "2026-01-01 09:00"],
    ),
    (
        "quarterly 2nd month day 31",
        Quarterly(2, 31),
        sh(2025, 1, 1),
        4,
        ["2025-02-28 09:00", "2025-05-31 09:00", "2025-08-31 09:00", "2025-11-30 09:00"],
    ),
    ("quarterly 3rd month day 15", Quarterly(3, 15), sh(2025, 4, 1), 2, ["2025-06-15 09:00", "2025-09-15 09:00"]),
    # yearly, 29 Feb
    (
        "yearly 29 Feb",
        Yearly(2, 29),
        sh(2025, 1, 1),
        4,
        ["2025-02-28 09:00", "2026-02-28 09:00", "2027-02-28 09:00", "2028-02-29 09:00"],
    ),
    ("yearly 1 Dec", Yearly(12, 1), sh(2026, 6, 1), 2, ["2026-12-01 09:00", "2027-12-01 09:00"]),
    ("yearly, later this year", Yearly(10, 15), sh(2025, 10, 15, 8), 1, ["2025-10-15 09:00"]),
    # weekly
    (
        "weekly Wednesday",
        Weekly(WED),
        sh(2025, 9, 1, 10),
        3,
        ["2025-09-03 09:00", "2025-09-10 09:00", "2025-09-17 09:00"],
    ),
    ("weekly, same day before the time", Weekly(WED), sh(2025, 9, 3, 8), 1, ["2025-09-03 09:00"]),
    ("weekly, same day at the time", Weekly(WED), sh(2025, 9, 3, 9), 1, ["2025-09-10 09:00"]),
]


@pytest.mark.parametrize("name, schedule, after, count, expected", NEXT, ids=[c[0] for c in NEXT])
def test_next_occurrences(name, schedule, after, count, expected):
    assert dues(next_occurrences(rem(schedule), after, SH, count=count)) == expected


CRON = [
    ("weekdays 08:30", "30 8 * * 1-5", sh(2025, 9, 5), 2, ["2025-09-08 08:30", "2025-09-09 08:30"]),
    (
        "two hours on the 1st",
        "0 9,14 1 * *",
        sh(2025, 9, 1, 10),
        3,
        ["2025-09-01 14:00", "2025-10-01 09:00", "2025-10-01 14:00"],
    ),
    (
        "every 20 minutes in hour 9",
        "*/20 9 * * *",
        sh(2025, 9, 1, 9, 10),
        3,
        ["2025-09-01 09:20", "2025-09-01 09:40", "2025-09-02 09:00"],
    ),
    (
        "dom OR dow when both restricted",
        "0 9 13 * 5",
        sh(2025, 7, 5),
        3,
        ["2025-07-11 09:00", "2025-07-13 09:00", "2025-07-18 09:00"],
    ),
    ("Sunday as 0", "0 9 * * 0", sh(2025, 9, 1), 1, ["2025-09-07 09:00"]),
    ("Sunday as 7", "0 9 * * 7", sh(2025, 9, 1), 1, ["2025-09-07 09:00"]),
    ("names", "0 9 * jan,jul mon", sh(2025, 6, 1), 2, ["2025-07-07 09:00", "2025-07-14 09:00"]),
    (
        "range with step",
        "0 9 1-10/3 * *",
        sh(2025, 9, 1, 10),
        3,
        ["2025-09-04 09:00", "2025-09-07 09:00", "2025-09-10 09:00"],
    ),
    (
        "start/step means start to max",
        "0 9 25/3 * *",
        sh(2025, 9, 1),
        3,
        ["2025-09-25 09:00", "2025-09-28 09:00", "2025-10-25 09:00"],
    ),
    ("29 Feb only in leap years", "0 0 29 2 *", sh(2025, 1, 1), 1, ["2028-02-29 00:00"]),
]


@pytest.mark.parametrize("name, expr, after, count, expected", CRON, ids=[c[0] for c in CRON])
def test_cron_next_occurrences(name, expr, after, count, expected):
    assert dues(next_occurrences(rem(cron(expr)), after, SH, count=count)) == expected


def test_cron_send_time_override_keeps_the_days_and_replaces_the_time():
    reminder = rem(cron("*/30 * * * 1"))
    got = next_occurrences(reminder, sh(2025, 9, 1, 12), SH, send_time=time(10, 0), count=2)
    assert dues(got) == ["2025-09-08 10:00", "2025-09-15 10:00"]


CRON_ERRORS = [
    ("61 9 * * *", "minute 61 is out of range 0–59"),
    ("0 24 * * *", "hour 24 is out of range 0–23"),
    ("0 9 0 * *", "day-of-month 0 is out of range 1–31"),
    ("0 9 * 13 *", "month 13 is out of range 1–12"),
    ("0 9 * * 8", "day-of-week 8 is out of range 0–7"),
    ("0 9 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
    ("0 9 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
    ("*/0 9 * * *", "bad step '0' in minute field '*/0' (expected a whole number ≥ 1)"),
    ("0 9 5-1 * *", "day-of-month range 5-1 runs backwards"),
    ("0 x * * *", "hour 'x' is not a number"),
    ("0 9 * foo *", "month 'foo' is not a number or a name"),
    ("0 9 1,,2 * *", "empty item in day-of-month field '1,,2'"),
    ("0 0 30 2 *", "never matches: no month in the month field has those days"),
    ("0 0 31 4,6 *", "never matches: no month in the month field has those days"),
]


@pytest.mark.parametrize("expr, message", CRON_ERRORS, ids=[c[0] for c in CRON_ERRORS])
def test_cron_errors(expr, message):
    with pytest.raises(ValueError) as exc:
        parse_cron(expr)
    assert str(exc.value) == message


# ------------------------------------------------------------------------------------------- holidays, 调休

# 2025 National Day: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct are 调休 workdays.
# 2026 Spring Festival: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are 调休 workdays.
# 2026 New Year: 1–3 Jan off; Sun 4 Jan is a 调休 workday.
HOLIDAYS = [
    ("National Day, keep", MonthlyDay(1), "keep", sh(2025, 9, 20), "2025-10-01"),
    ("National Day, next", MonthlyDay(1), "next_workday", sh(2025, 9, 20), "2025-10-09"),
    ("National Day, previous", MonthlyDay(1), "previous_workday", sh(2025, 9, 20), "2025-09-30"),
    ("holiday Saturday, next", Weekly(SAT), "next_workday", sh(2025, 10, 1), "2025-10-09"),
    ("holiday Saturday, previous", Weekly(SAT), "previous_workday", sh(2025, 9, 29, 10), "2025-09-30"),
    ("调休 Saturday stays (next)", Weekly(SAT), "next_workday", sh(2025, 10, 9, 10), "2025-10-11"),
    ("调休 Saturday stays (previous)", Weekly(SAT), "previous_workday", sh(2025, 10, 5), "2025-10-11"),
    ("调休 Sunday stays", Weekly(SUN), "previous_workday", sh(2025, 9, 22), "2025-09-28"),
    ("plain weekend, next", MonthlyDay(1), "next_workday", sh(2025, 10, 20), "2025-11-03"),
    ("plain weekend, previous", MonthlyDay(1), "previous_workday", sh(2025, 10, 20), "2025-10-31"),
    ("Spring Festival, keep", MonthlyDay(20), "keep", sh(2026, 2, 1), "2026-02-20"),
    ("Spring Festival, next", MonthlyDay(20), "next_workday", sh(2026, 2, 1), "2026-02-24"),
    (
        "Spring Festival, previous lands on 调休 Saturday",
        MonthlyDay(20),
        "previous_workday",
        sh(2026, 2, 1),
        "2026-02-14",
    ),
    ("New Year, next is 调休 Sunday", Quarterly(1, 1), "next_workday", sh(2025, 12, 1), "2026-01-04"),
    ("New Year, previous is last year", Quarterly(1, 1), "previous_workday", sh(2025, 12, 1), "2025-12-31"),
    ("workday untouched", MonthlyDay(15), "next_workday", sh(2025, 10, 1), "2025-10-15"),
]


@pytest.mark.parametrize("name, schedule, mode, after, event", HOLIDAYS, ids=[c[0] for c in HOLIDAYS])
def test_on_holiday(name, schedule, mode, after, event):
    (occ,) = next_occurrences(rem(schedule, mode=mode), after, SH)
    assert occ.event_date.isoformat() == event
    assert occ.due_at == datetime.combine(occ.event_date, time(9), tzinfo=SH)
    assert occ.shifted == (occ.event_date != occ.nominal_date)
    assert occ.calendar_fallback is False


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2025, 10, 1), (False, False)),
        (date(2025, 9, 28), (True, False)),  # 调休 Sunday
        (date(2025, 10, 11), (True, False)),  # 调休 Saturday
        (date(2026, 2, 16), (False, False)),  # Spring Festival
        (date(2030, 6, 1), (False, True)),  # no data: Saturday off
        (date(2030, 6, 3), (True, True)),  # no data: Monday on
    ],
)
def test_workday_status(day, expected):
    assert workday_status(day) == expected


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("next_workday", date(2030, 6, 3)),
        ("previous_workday", date(2030, 5, 31)),
        ("keep", date(2030, 6, 1)),
    ],
)
def test_years_without_holiday_data_fall_back_to_weekends(mode, expected):
    (occ,) = next_occurrences(rem(MonthlyDay(1), mode=mode), sh(2030, 5, 20), SH)
    assert occ.event_date == expected
    assert occ.calendar_fallback is (mode != "keep")
    assert shift_for_holiday(date(2030, 6, 1), mode) == (expected, mode != "keep")


def test_holiday_shift_never_sends_twice_for_one_event():
    # A daily cron shifted to the next workday: 1–8 Oct all land on 9 Oct, sent once.
    occs = next_occurrences(rem(cron("0 9 * * *"), mode="next_workday"), sh(2025, 9, 30, 10), SH, count=3)
    assert dues(occs) == ["2025-10-09 09:00", "2025-10-10 09:00", "2025-10-11 09:00"]
    assert [o.key for o in occs] == ["2025-10-09T09:00", "2025-10-10T09:00", "2025-10-11T09:00"]


# ------------------------------------------------------------------------------------------- lead days, zones

LEAD = [
    ("七一, 30 days ahead", Yearly(7, 1), 30, "keep", sh(2026, 1, 1), "2026-06-01 09:00", "2026-07-01"),
    ("七一, after this year's send", Yearly(7, 1), 30, "keep", sh(2026, 6, 2), "2027-06-01 09:00", "2027-07-01"),
    ("七一, between send and event", Yearly(7, 1), 30, "keep", sh(2026, 6, 30), "2027-06-01 09:00", "2027-07-01"),
    ("lead across a month end", MonthlyDay(1), 1, "keep", sh(2025, 11, 29), "2025-11-30 09:00", "2025-12-01"),
    (
        "lead counts back from the shifted event",
        MonthlyDay(1),
        3,
        "next_workday",
        sh(2025, 9, 20),
        "2025-10-06 09:00",
        "2025-10-09",
    ),
    (
        "lead with previous_workday",
        MonthlyDay(20),
        2,
        "previous_workday",
        sh(2026, 2, 1),
        "2026-02-12 09:00",
        "2026-02-14",
    ),
]


@pytest.mark.parametrize("name, schedule, lead, mode, after, due, event", LEAD, ids=[c[0] for c in LEAD])
def test_lead_days(name, schedule, lead, mode, after, due, event):
    (occ,) = next_occurrences(rem(schedule, lead=lead, mode=mode), after, SH)
    assert (dues([occ])[0], occ.event_date.isoformat()) == (due, event)


def test_due_at_is_aware_in_the_chat_zone():
    (occ,) = next_occurrences(rem(MonthlyDay(1)), sh(2026, 11, 15), SH)
    assert occ.due_at.tzinfo == SH
    assert occ.due_at.astimezone(timezone.utc) == datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


def test_after_in_another_zone_is_compared_as_a_moment():
    # 00:30 UTC on 1 Dec is 08:30 in Shanghai: today's 09:00 is still ahead.
    (occ,) = next_occurrences(rem(MonthlyDay(1)), datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc), SH)
    assert dues([occ]) == ["2026-12-01 09:00"]


def test_other_zone_and_dst_gap():
    berlin = ZoneInfo("Europe/Berlin")
    (occ,) = next_occurrences(rem(Weekly(SUN), at="02:30"), datetime(2025, 3, 29, tzinfo=berlin), berlin)
    assert occ.due_at.isoformat() == "2025-03-30T03:30:00+02:00"  # 02:30 does not exist that night


def test_send_time_override():
    (occ,) = next_occurrences(rem(MonthlyDay(1)), sh(2026, 11, 15), SH, send_time=time(7, 15))
    assert dues([occ]) == ["2026-12-01 07:15"]


def test_naive_after_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrences(rem(MonthlyDay(1)), datetime(2026, 11, 15), SH)


def test_count_zero():
    assert next_occurrences(rem(MonthlyDay(1)), sh(2026, 11, 15), SH, count=0) == []


def test_occurrences_between_excludes_start_and_includes_end():
    reminder = rem(MonthlyDay(1))
    assert dues(occurrences_between(reminder, sh(2025, 9, 15), sh(2025, 12, 1), SH)) == [
        "2025-10-01 09:00",
        "2025-11-01 09:00",
        "2025-12-01 09:00",
    ]
    assert dues(occurrences_between(reminder, sh(2025, 10, 1), sh(2025, 12, 1, 8), SH)) == ["2025-11-01 09:00"]
    assert occurrences_between(reminder, sh(2025, 10, 2), sh(2025, 10, 30), SH) == []


def test_keys_identify_events_not_send_times():
    a = next_occurrences(rem(MonthlyDay(1)), sh(2026, 11, 15), SH)[0]
    b = next_occurrences(rem(MonthlyDay(1)), sh(2026, 11, 15), ZoneInfo("Europe/Berlin"), send_time=time(10))[0]
    assert a.key == b.key == "2026-12-01"
    assert a.due_at != b.due_at


# ------------------------------------------------------------------------------------------- 换届

#: A term_end table as the YAML gives it (test data: the shipped one is checked in test_reminders_load.py).
LEVELS = {"支部": "本支部委员会", "总支": "本总支委员会", "党委": "本党委"}
YEARS = {t: {"支部": 5, "总支": 5, "党委": 5} for t in ("村", "社区")} | {
    t: {"支部": 3, "总支": 3, "党委": 5} for t in ("机关", "企业", "学校", "其他")
}
TERM = TermReminder(
    "换届", "{organization}每届{term_years}年，{date}届满（{months}个月）", time(9), levels=LEVELS, years=YEARS
)

TERMS = [
    ("村支部: 5 years", date(2021, 5, 10), "村", None, "2026-05-10", ["2025-11-10", "2026-02-10", "2026-04-10"], 5),
    (
        "社区党委: 5 years",
        date(2022, 3, 1),
        "社区",
        "党委",
        "2027-03-01",
        ["2026-09-01", "2026-12-01", "2027-02-01"],
        5,
    ),
    (
        "机关支部: 3 years, month ends clamp",
        date(2023, 8, 31),
        "机关",
        "支部",
        "2026-08-31",
        ["2026-02-28", "2026-05-31", "2026-07-31"],
        3,
    ),
    (
        "机关党委: 5 years",
        date(2022, 6, 1),
        "机关",
        "党委",
        "2027-06-01",
        ["2026-12-01", "2027-03-01", "2027-05-01"],
        5,
    ),
    (
        "企业总支: 3 years",
        date(2024, 1, 15),
        "企业",
        "总支",
        "2027-01-15",
        ["2026-07-15", "2026-10-15", "2026-12-15"],
        3,
    ),
    (
        "学校党委: 5 years",
        date(2024, 9, 1),
        "学校",
        "党委",
        "2029-09-01",
        ["2029-03-01", "2029-06-01", "2029-08-01"],
        5,
    ),
    (
        "no type, no level: 3 years",
        date(2024, 9, 1),
        None,
        None,
        "2027-09-01",
        ["2027-03-01", "2027-06-01", "2027-08-01"],
        3,
    ),
    (
        "no type, 党委: 5 years",
        date(2024, 9, 1),
        None,
        "党委",
        "2029-09-01",
        ["2029-03-01", "2029-06-01", "2029-08-01"],
        5,
    ),
    ("29 Feb start", date(2024, 2, 29), "社区", None, "2029-02-28", ["2028-08-28", "2028-11-28", "2029-01-28"], 5),
]


@pytest.mark.parametrize("name, start, org, level, end, sends, years", TERMS, ids=[c[0] for c in TERMS])
def test_term_reminders(name, start, org, level, end, sends, years):
    assert TERM.term_years(org, level) == years
    occs = term_reminders(start, TERM.term_years(org, level), SH, time(9, 30), organization=TERM.organization(level))
    assert term_end(start, years).isoformat() == end
    assert [o.due_at.date().isoformat() for o in occs] == sends
    assert {o.due_at.time() for o in occs} == {time(9, 30)}
    assert [o.months_before for o in occs] == [6, 3, 1]
    assert {(o.event_date.isoformat(), o.term_years) for o in occs} == {(end, years)}
    assert {o.organization for o in occs} == {LEVELS[level or "支部"]}
    assert [o.key for o in occs] == [f"{end}/6m", f"{end}/3m", f"{end}/1m"]


def test_term_reminders_custom_months_and_unknown_type_or_level():
    occs = term_reminders(date(2024, 1, 15), 3, SH, None, months_before=(2, 12))
    assert [(o.months_before, o.due_at.strftime("%Y-%m-%d %H:%M")) for o in occs] == [
        (12, "2026-01-15 09:00"),
        (2, "2026-11-15 09:00"),
    ]
    with pytest.raises(ValueError, match="unknown organization type '乡镇'"):
        TERM.term_years("乡镇", None)
    with pytest.raises(ValueError, match="unknown organization level '工委'"):
        TERM.term_years("机关", "工委")


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2026, 1, 15), -6, date(2025, 7, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


# ------------------------------------------------------------------------------------------- text

RENDER = [
    ("{date}", date(2026, 12, 1), "2026年12月1日"),
    ("{weekday}", date(2026, 12, 1), "星期二"),
    ("{weekday}", date(2026, 11, 29), "星期日"),
    ("{month}", date(2026, 12, 1), "12月"),
    ("{year}", date(2026, 12, 1), "2026"),
    ("{quarter}", date(2026, 1, 31), "第一季度"),
    ("{quarter}", date(2026, 4, 1), "第二季度"),
    ("{quarter}", date(2026, 9, 30), "第三季度"),
    ("{quarter}", date(2026, 12, 1), "第四季度"),
    ("本月（{month}）支委会", date(2025, 10, 9), "本月（10月）支委会"),
    ("{year}年{quarter}党员大会", date(2026, 1, 4), "2026年第一季度党员大会"),
    ("{{date}} 是字面量", date(2026, 12, 1), "{date} 是字面量"),
]


@pytest.mark.parametrize("text, day, expected", RENDER)
def test_render_text(text, day, expected):
    occ = Occurrence(datetime.combine(day, time(9), tzinfo=SH), day)
    assert render_text(rem(MonthlyDay(1), text=text), occ) == expected


@pytest.mark.parametrize(
    "org, level, expected",
    [
        ("村", None, "本支部委员会每届5年，2026年5月10日届满（6个月）"),
        ("机关", "党委", "本党委每届5年，2026年5月10日届满（6个月）"),
        ("机关", "总支", "本总支委员会每届3年，2024年5月10日届满（6个月）"),
    ],
)
def test_render_term_text(org, level, expected):
    occ = term_reminders(
        date(2021, 5, 10), TERM.term_years(org, level), SH, None, organization=TERM.organization(level)
    )[0]
    assert render_text(TERM, occ) == expected


# ------------------------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    "value, expected",
    [
        ("09:00", time(9, 0)),
        ("9:05", time(9, 5)),
        ("23:59", time(23, 59)),
        ("00:00", time(0, 0)),
        (" 08:30 ", time(8, 30)),
    ],
)
def test_parse_hhmm(value, expected):
    assert parse_hhmm(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("24:00", "expected a time \"HH:MM\" (00:00–23:59), got '24:00'"),
        ("9", "expected a time \"HH:MM\" (00:00–23:59), got '9'"),
        ("09:60", "expected a time \"HH:MM\" (00:00–23:59), got '09:60'"),
        (
            540,
            'expected a time "HH:MM" in quotes, got the number 540 (YAML reads an unquoted 9:00 as a number: write "9:00")',
        ),
        (None, 'expected a time "HH:MM" (00:00–23:59), got None'),
    ],
)
def test_parse_hhmm_errors(value, message):
    with pytest.raises(ValueError) as exc:
        parse_hhmm(value)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    "value, expected",
    [
        ("mon", MON),
        ("Fri", FRI),
        ("sunday", SUN),
        (1, MON),
        (7, SUN),
        ("周五", FRI),
        ("星期天", SUN),
        ("周日", SUN),
    ],
)
def test_parse_weekday(value, expected):
    assert parse_weekday(value) == expected


@pytest.mark.parametrize(
    "name, ok",
    [
        ("Asia/Shanghai", True),
        ("Europe/Berlin", True),
        ("UTC", True),
        ("Mars/Base", False),
        ("", False),
        ("../etc/passwd", False),
    ],
)
def test_parse_tz(name, ok):
    if ok:
        assert parse_tz(name) == ZoneInfo(name)
    else:
        with pytest.raises(ValueError, match="unknown time zone"):
            parse_tz(name)


@pytest.mark.parametrize("raw, hours", [(None, 12), ("", 12), ("  ", 12), ("6", 6), ("0.5", 0.5), ("0", 0)])
def test_grace_from_hours(raw, hours):
    assert grace_from_hours(raw) == timedelta(hours=hours)


@pytest.mark.parametrize("raw", ["abc", "-1", "inf", "nan"])
def test_grace_from_hours_errors(raw):
    with pytest.raises(ValueError, match="ZHIBU_REMINDER_GRACE_HOURS"):
        grace_from_hours(raw)


# ------------------------------------------------------------------------------------------- planner (pure)

UTC = timezone.utc
T0 = datetime(2025, 11, 20, 0, 0, tzinfo=UTC)  # when the fake subscriptions were switched on


@dataclass(frozen=True)
class Sub:
    chat_id: int
    reminder_id: str
    send_time: time | None = None
    tz: str | None = None
    enabled: bool = True
    updated_at: datetime = T0


@dataclass(frozen=True)
class Chat:
    tz: str | None = None
    term_start: date | None = None
    org_type: str | None = None
    disabled_reason: str | None = None
    org_level: str | None = None


SET = ReminderSet(
    1,
    (
        rem(MonthlyDay(5), mode="next_workday", text="交纳{month}党费", rid="dues"),
        rem(Weekly(MON), text="周会{date}", rid="weekly"),
    ),
    TERM,
)
GRACE = timedelta(hours=12)


def plan(subs, chats=None, *, now, since=None, grace=GRACE):
    return plan_deliveries(SET, subs, chats or {}, now=now, since=since, grace=grace)


def test_plan_on_time_tick():
    # dues for December 2025: the 5th is a Friday, 09:00 Shanghai = 01:00 UTC.
    got = plan(
        [Sub(1, "dues")],
        now=sh(
            2025,
            12,
            5,
            9,
            0,
        ),
        since=sh(2025, 12, 5, 8, 59),
    )
    assert got == [Delivery(1, "dues", sh(2025, 12, 5), date(2025, 12, 5), "2025-12-05", "交纳12月党费")]


def test_plan_catch_up_within_grace_and_missed_beyond():
    now = sh(2025, 12, 5, 15)  # six hours late
    (d,) = plan([Sub(1, "dues")], now=now)
    assert (d.catch_up, d.missed) == (True, False)
    (d,) = plan([Sub(1, "dues")], now=sh(2025, 12, 6, 10))  # 25 hours late
    assert (d.catch_up, d.missed) == (True, True)
    (d,) = plan([Sub(1, "dues")], now=sh(2025, 12, 5, 21), grace=timedelta(hours=12))  # exactly 12 hours: sent
    assert d.missed is False


def test_plan_lookback_finds_every_occurrence_since_the_subscription():
    got = plan([Sub(1, "weekly", updated_at=sh(2025, 11, 9))], now=sh(2025, 11, 25, 12))
    assert [(d.due_at.date().isoformat(), d.missed) for d in got] == [
        ("2025-11-10", True),
        ("2025-11-17", True),
        ("2025-11-24", True),
    ]


def test_plan_never_catches_up_before_the_subscription():
    assert plan([Sub(1, "dues", updated_at=sh(2025, 12, 5, 9, 30))], now=sh(2025, 12, 5, 10)) == []


def test_plan_skips_disabled_unknown_and_off():
    subs = [Sub(1, "dues"), Sub(2, "dues", enabled=False), Sub(3, "gone"), Sub(4, "dues")]
    got = plan(subs, {4: Chat(disabled_reason="Forbidden")}, now=sh(2025, 12, 5, 10))
    assert [d.chat_id for d in got] == [1]


def test_plan_uses_each_chats_zone_and_send_time():
    subs = [Sub(1, "dues"), Sub(2, "dues", send_time=time(8)), Sub(3, "dues"), Sub(4, "dues", tz="UTC")]
    chats = {3: Chat(tz="Europe/Berlin")}
    got = plan(subs, chats, now=datetime(2025, 12, 5, 9, 0, tzinfo=UTC), since=datetime(2025, 12, 4, tzinfo=UTC))
    assert [(d.chat_id, d.due_at.isoformat()) for d in got] == [
        (2, "2025-12-05T08:00:00+08:00"),
        (1, "2025-12-05T09:00:00+08:00"),
        (3, "2025-12-05T09:00:00+01:00"),
        (4, "2025-12-05T09:00:00+00:00"),
    ]
    assert {d.event_key for d in got} == {"2025-12-05"}


def test_plan_term_reminders_need_a_term():
    subs = [Sub(1, "term_end", updated_at=sh(2025, 11, 1)), Sub(2, "term_end", updated_at=sh(2025, 11, 1))]
    chats = {1: Chat(term_start=date(2021, 5, 10), org_type="村")}
    got = plan(subs, chats, now=sh(2025, 11, 10, 10))
    assert [(d.chat_id, d.text, d.event_key) for d in got] == [
        (1, "本支部委员会每届5年，2026年5月10日届满（6个月）", "2026-05-10/6m")
    ]


def test_plan_term_reminders_follow_the_organization_level():
    """A 机关 党委 that started in June 2022 is reminded before June 2027, not June 2025 (audit A3)."""
    subs = [Sub(chat, "term_end", updated_at=sh(2024, 11, 1)) for chat in (1, 2, 3)]
    chats = {
        1: Chat(term_start=date(2022, 6, 1), org_type="机关", org_level="党委"),
        2: Chat(term_start=date(2022, 6, 1), org_type="机关", org_level="支部"),
        3: Chat(term_start=date(2022, 6, 1), org_type="机关", org_level="总支"),
    }
    got = plan(subs, chats, now=sh(2024, 12, 1, 10))
    assert [(d.chat_id, d.text) for d in got] == [
        (2, "本支部委员会每届3年，2025年6月1日届满（6个月）"),
        (3, "本总支委员会每届3年，2025年6月1日届满（6个月）"),
    ]
    got = plan(subs, chats, now=sh(2026, 12, 1, 10), since=sh(2026, 11, 30))
    assert [(d.chat_id, d.text) for d in got] == [(1, "本党委每届5年，2027年6月1日届满（6个月）")]


def test_a_stored_type_the_yaml_no_longer_has_plans_nothing():
    chats = {1: Chat(term_start=date(2022, 6, 1), org_type="乡镇")}
    assert plan([Sub(1, "term_end", updated_at=sh(2024, 11, 1))], chats, now=sh(2024, 12, 1, 10)) == []


def test_upcoming_and_next_send_and_preview():
    got = upcoming(SET, [Sub(1, "dues"), Sub(2, "weekly")], {}, now=sh(2025, 12, 1, 10), until=sh(2025, 12, 8, 9))
    assert [(d.chat_id, d.due_at.date().isoformat()) for d in got] == [(1, "2025-12-05"), (2, "2025-12-08")]
    assert next_send(SET, "dues", None, sh(2025, 12, 5, 9)).due_at == sh(2026, 1, 5)
    assert next_send(SET, "term_end", Chat(), sh(2025, 12, 5)) is None
    assert next_send(SET, "nope", None, sh(2025, 12, 5)) is None
    assert preview(SET, "dues", Chat(tz="UTC"), sh(2025, 12, 6)) == "交纳1月党费"
