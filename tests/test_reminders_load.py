"""knowledge/reminders.yaml: the shipped file loads and says what docs/regulations.md says; every kind of mistake is
reported as `file:line: path: message` with the exact wording."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reminders.load import load_reminders
from reminders.schedule import (
    TERM_REMINDER_ID,
    MonthlyDay,
    MonthlyWeekday,
    Quarterly,
    Weekly,
    Yearly,
    next_occurrences,
    render_text,
    term_reminders,
)

ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def shipped():
    reminders, problems = load_reminders(ROOT / "knowledge", ROOT)
    assert reminders is not None, "\n".join(map(str, problems))
    assert problems == []
    return reminders


# ------------------------------------------------------------------------------------------- the shipped file

REQUIRED = [
    ("theme_day", MonthlyDay, "每月相对固定1天"),
    ("branch_committee", MonthlyWeekday, "一般每月召开1次"),
    ("party_group", MonthlyWeekday, "一般每月召开1次"),
    ("member_assembly", Quarterly, "一般每季度召开1次"),
    ("dues", MonthlyDay, "党费"),
    ("org_life_meeting", Yearly, "第四季度"),
    ("democratic_review", Yearly, "一般每年开展1次"),
    ("heart_talk", Yearly, "每年一般不少于1次"),
    ("july_first", Yearly, "七一"),
    ("fusion_visit", MonthlyDay, "以本地规定为准"),
]


@pytest.mark.parametrize("rid, kind, phrase", REQUIRED, ids=[r[0] for r in REQUIRED])
def test_shipped_reminders(shipped, rid, kind, phrase):
    reminder = shipped.get(rid)
    assert reminder is not None
    assert isinstance(reminder.schedule, kind)
    assert phrase in reminder.text
    occs = next_occurrences(reminder, datetime(2026, 1, 1, tzinfo=SH), SH, count=3)
    assert len(occs) == 3
    for occ in occs:
        text = render_text(reminder, occ)
        assert "{" not in text and "}" not in text


def test_shipped_timing(shipped):
    after = datetime(2026, 1, 1, tzinfo=SH)
    first = {r.id: next_occurrences(r, after, SH)[0] for r in shipped.reminders}
    assert first["org_life_meeting"].event_date.month in (10, 11, 12)  # 一般安排在第四季度
    assert first["july_first"].due_at.month == 6 and first["july_first"].event_date == date(2026, 7, 1)
    assert first["member_assembly"].event_date == date(2026, 1, 4)  # 1 Jan off, 4 Jan a 调休 workday
    assert all(r.time == time(9, 0) for r in shipped.reminders)


#: docs/regulations.md (term_opinion_2018 第一点; organs_regulations 第五至七条): a 党委 serves 5 years, a 总支
#: or 支部委员会 3, and every 村 or 社区 organization 5.
SHIPPED_TERMS = (
    [(t, lv, 5) for t in ("村", "社区") for lv in ("支部", "总支", "党委")]
    + [(t, lv, 5 if lv == "党委" else 3) for t in ("机关", "企业", "学校", None) for lv in ("支部", "总支", "党委")]
    + [(None, None, 3), ("机关", None, 3), ("村", None, 5)]
)


@pytest.mark.parametrize("org, level, years", SHIPPED_TERMS)
def test_shipped_term_lengths(shipped, org, level, years):
    assert shipped.term.term_years(org, level) == years


@pytest.mark.parametrize(
    "org, level, start, expected",
    [
        ("村", None, date(2021, 5, 10), "本支部委员会（每届5年）将于2026年5月10日任期届满，距今约6个月。"),
        ("机关", "党委", date(2022, 6, 1), "本党委（每届5年）将于2027年6月1日任期届满，距今约6个月。"),
        ("企业", "总支", date(2022, 6, 1), "本总支委员会（每届3年）将于2025年6月1日任期届满，距今约6个月。"),
    ],
)
def test_shipped_term_text_names_the_organization(shipped, org, level, start, expected):
    term = shipped.term
    occ = term_reminders(
        start, term.term_years(org, level), SH, term.time, term.months_before, term.organization(level)
    )[0]
    assert render_text(term, occ).startswith("【换届提醒】按登记的任期起始日推算，" + expected)


def test_shipped_term_reminder(shipped):
    term = shipped.get(TERM_REMINDER_ID)
    assert term.months_before == (6, 3, 1)
    texts = [
        render_text(term, o)
        for o in term_reminders(date(2021, 5, 10), 5, SH, term.time, organization=term.organization(None))
    ]
    assert texts[0].startswith(
        "【换届提醒】按登记的任期起始日推算，本支部委员会（每届5年）将于2026年5月10日任期届满，距今约6个月。"
    )
    assert all("以上级党组织要求为准" in t for t in texts)
    assert shipped.ids[-1] == TERM_REMINDER_ID
    assert len(shipped.ids) == len(set(shipped.ids)) == len(shipped.reminders) + 1


def test_fusion_visit_is_marked_local_practice(shipped):
    reminder = shipped.get("fusion_visit")
    assert "本地做法" in reminder.tags and reminder.source == "《全领域基层党建融合发展做法》（一个地级市，地方做法）"


# ------------------------------------------------------------------------------------------- errors


def load(tmp_path: Path, text: str):
    folder = tmp_path / "knowledge"
    folder.mkdir(exist_ok=True)
    (folder / "reminders.yaml").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return load_reminders(folder, tmp_path)


VALID_ONE = """
version: 1
reminders:
  - id: a0
    title: A
    text: 本月（{month}）
    schedule: {kind: monthly, day: 1}
    time: "09:00"
"""

CASES = [
    (
        "day out of range",
        """
        version: 1
        reminders:
          - {id: a0, title: A, text: 本月, schedule: {kind: monthly, day: 1}, time: "09:00"}
          - {id: a1, title: B, text: 本月, schedule: {kind: weekly, weekday: mon}, time: "09:00"}
          - id: a2
            title: C
            text: 本月
            time: "09:00"
            schedule:
              kind: monthly
              # the day of the month
              day: 40
        """,
        ["knowledge/reminders.yaml:12: reminders[2].schedule.day: expected a day 1–31, got 40"],
    ),
    (
        "unknown field",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            colour: red
            schedule: {kind: monthly, day: 1}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:6: reminders[0].colour: unknown field (expected one of id, title, text, "
            "schedule, time, lead_days, on_holiday, tags, source)"
        ],
    ),
    (
        "unknown top-level field",
        VALID_ONE + "extra: 1\n",
        ["knowledge/reminders.yaml:8: extra: unknown top-level field (expected version, reminders, term_end)"],
    ),
    (
        "duplicate id",
        """
        version: 1
        reminders:
          - {id: dues, title: A, text: 本月, schedule: {kind: monthly, day: 1}, time: "09:00"}
          - {id: other, title: B, text: 本月, schedule: {kind: monthly, day: 2}, time: "09:00"}
          - {id: dues, title: C, text: 本月, schedule: {kind: monthly, day: 3}, time: "09:00"}
        """,
        ["knowledge/reminders.yaml:5: reminders[2].id: duplicate id 'dues' (first used in reminders[0], line 3)"],
    ),
    (
        "bad time",
        """
        version: 1
        reminders:
          - {id: a0, title: A, text: 本月, schedule: {kind: monthly, day: 1}, time: "25:00"}
        """,
        ["knowledge/reminders.yaml:3: reminders[0].time: expected a time \"HH:MM\" (00:00–23:59), got '25:00'"],
    ),
    (
        "unquoted time",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: monthly, day: 1}
            time: 9:30
        """,
        [
            'knowledge/reminders.yaml:7: reminders[0].time: expected a time "HH:MM" in quotes, got the number 570 '
            '(YAML reads an unquoted 9:30 as a number: write "9:30")'
        ],
    ),
    (
        "missing time",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: monthly, day: 1}
        """,
        ["knowledge/reminders.yaml:3: reminders[0].time: required field missing"],
    ),
    (
        "bad kind",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: daily, day: 1}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:6: reminders[0].schedule.kind: unknown kind 'daily' (expected one of "
            "monthly, monthly_weekday, quarterly, yearly, weekly, cron)"
        ],
    ),
    (
        "field of another kind",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: monthly, weekday: mon}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:6: reminders[0].schedule.weekday: unknown field for kind monthly (expected kind, day)",
            "knowledge/reminders.yaml:6: reminders[0].schedule.day: required for kind monthly",
        ],
    ),
    (
        "bad cron",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule:
              kind: cron
              expr: "61 9 * * *"
        """,
        [
            "knowledge/reminders.yaml:8: reminders[0].schedule.expr: bad cron expression '61 9 * * *': "
            "minute 61 is out of range 0–59"
        ],
    ),
    (
        "cron with a time",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: cron, expr: "0 9 * * 1"}
            time: "09:00"
        """,
        ["knowledge/reminders.yaml:7: reminders[0].time: a cron schedule takes its time from expr; remove time"],
    ),
    (
        "unknown on_holiday",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: monthly, day: 1}
            time: "09:00"
            on_holiday: skip
        """,
        [
            "knowledge/reminders.yaml:8: reminders[0].on_holiday: unknown mode 'skip' "
            "(expected next_workday, previous_workday or keep)"
        ],
    ),
    (
        "unknown placeholder",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: "{day}号开会"
            schedule: {kind: monthly, day: 1}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:5: reminders[0].text: unknown placeholder {day} "
            "(expected {date}, {weekday}, {month}, {quarter}, {year})"
        ],
    ),
    (
        "term placeholder outside term_end",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: "{months}个月"
            schedule: {kind: monthly, day: 1}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:5: reminders[0].text: unknown placeholder {months} "
            "(expected {date}, {weekday}, {month}, {quarter}, {year})"
        ],
    ),
    (
        "unbalanced brace",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: "{date 开会"
            schedule: {kind: monthly, day: 1}
            time: "09:00"
        """,
        ["knowledge/reminders.yaml:5: reminders[0].text: unbalanced { or } (write {{ or }} for a literal brace)"],
    ),
    (
        "format spec",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: "{date:>10}"
            schedule: {kind: monthly, day: 1}
            time: "09:00"
        """,
        ["knowledge/reminders.yaml:5: reminders[0].text: placeholder {date} cannot take a format or conversion"],
    ),
    (
        "nth and weekday",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: monthly_weekday, nth: 5, weekday: funday}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:6: reminders[0].schedule.nth: expected nth 1–4 or last, got 5",
            "knowledge/reminders.yaml:6: reminders[0].schedule.weekday: expected a weekday mon…sun or 1–7 "
            "(1 = Monday), got 'funday'",
        ],
    ),
    (
        "quarterly month",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: quarterly, month: 4, day: 1}
            time: "09:00"
        """,
        ["knowledge/reminders.yaml:6: reminders[0].schedule.month: expected a month of the quarter 1–3, got 4"],
    ),
    (
        "yearly 30 Feb",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: yearly, month: 2, day: 30}
            time: "09:00"
        """,
        ["knowledge/reminders.yaml:6: reminders[0].schedule.day: expected a day 1–29 for month 2, got 30"],
    ),
    (
        "lead days",
        """
        version: 1
        reminders:
          - id: a0
            title: A
            text: 本月
            schedule: {kind: monthly, day: 1}
            time: "09:00"
            lead_days: -1
        """,
        ["knowledge/reminders.yaml:8: reminders[0].lead_days: expected a whole number of days 0–366, got -1"],
    ),
    (
        "bad id, missing fields",
        """
        version: 1
        reminders:
          - id: Theme Day
            schedule: {kind: monthly, day: 1}
            time: "09:00"
        """,
        [
            "knowledge/reminders.yaml:3: reminders[0].title: required field missing",
            "knowledge/reminders.yaml:3: reminders[0].text: required field missing",
            "knowledge/reminders.yaml:3: reminders[0].id: expected a lower-case id of 2–32 letters, digits and _ "
            "starting with a letter, got 'Theme Day'",
        ],
    ),
    (
        "reserved id",
        """
        version: 1
        reminders:
          - {id: term_end, title: A, text: 本月, schedule: {kind: monthly, day: 1}, time: "09:00"}
        """,
        [
            "knowledge/reminders.yaml:3: reminders[0].id: 'term_end' is reserved for the 换届 reminders "
            "(configure them under term_end)"
        ],
    ),
    (
        "tags and missing version",
        """
        reminders:
          - {id: a0, title: A, text: 本月, schedule: {kind: monthly, day: 1}, time: "09:00", tags: 村}
        """,
        [
            "knowledge/reminders.yaml:1: version: required field missing",
            "knowledge/reminders.yaml:2: reminders[0].tags: expected a list of text, got '村'",
        ],
    ),
    (
        "term_end problems",
        VALID_ONE
        + """
term_end:
  title: 换届
  text: "{date}届满，还有{months}个月，{foo}"
  time: "9"
  months_before: [6, 6]
  levels: {支部: 本支部委员会}
  years: {其他: {支部: 3}}
""",
        [
            "knowledge/reminders.yaml:11: term_end.text: unknown placeholder {foo} (expected {date}, {weekday}, {month}, "
            "{quarter}, {year}, {months}, {term_years}, {organization})",
            "knowledge/reminders.yaml:12: term_end.time: expected a time \"HH:MM\" (00:00–23:59), got '9'",
            "knowledge/reminders.yaml:13: term_end.months_before: expected a list of distinct whole months 1–24, got [6, 6]",
        ],
    ),
    (
        "term_end without levels and years",
        VALID_ONE
        + """
term_end: {title: 换届, text: "{date}", time: "09:00"}
""",
        [
            "knowledge/reminders.yaml:9: term_end.levels: required field missing",
            "knowledge/reminders.yaml:9: term_end.years: required field missing",
        ],
    ),
    (
        "term_end years table problems",
        VALID_ONE
        + """
term_end:
  title: 换届
  text: "{organization}{term_years}"
  time: "09:00"
  levels:
    支部: 本支部委员会
    党委: 本党委
    总支: ""
  years:
    村: {支部: 5, 党委: 5, 工委: 5}
    机关: {支部: 3}
    企业: {支部: 0, 党委: "5"}
    支部: {支部: 3, 党委: 5}
    学校: 3
""",
        [
            "knowledge/reminders.yaml:16: term_end.levels.总支: expected the committee's name as text, got ''",
            "knowledge/reminders.yaml:18: term_end.years: missing the row 其他 (used when /term gives no type)",
            "knowledge/reminders.yaml:18: term_end.years.村.工委: unknown level '工委' (expected one of 支部, 党委)",
            "knowledge/reminders.yaml:19: term_end.years.机关.党委: required: every type gives years for every level",
            "knowledge/reminders.yaml:20: term_end.years.企业.支部: expected whole years 1–10, got 0",
            "knowledge/reminders.yaml:20: term_end.years.企业.党委: expected whole years 1–10, got '5'",
            "knowledge/reminders.yaml:21: term_end.years.支部: '支部' is a level; a type and a level cannot share a name",
            "knowledge/reminders.yaml:22: term_end.years.学校: expected a mapping {level: years} for 支部, 党委",
        ],
    ),
    (
        "duplicate YAML key",
        """
        version: 1
        reminders:
          - id: a0
            id: a1
        """,
        ["knowledge/reminders.yaml:4: reminders[0].id: duplicate key 'id' (first defined on line 3)"],
    ),
]


@pytest.mark.parametrize("name, text, expected", CASES, ids=[c[0] for c in CASES])
def test_loader_errors(tmp_path, name, text, expected):
    reminders, problems = load(tmp_path, text)
    assert reminders is None
    assert [str(p) for p in problems] == expected


def test_missing_file(tmp_path):
    (tmp_path / "knowledge").mkdir()
    reminders, problems = load_reminders(tmp_path / "knowledge", tmp_path)
    assert reminders is None
    assert [str(p) for p in problems] == ["knowledge/reminders.yaml: cannot read file: No such file or directory"]


def test_valid_file_with_every_kind(tmp_path):
    reminders, problems = load(
        tmp_path,
        """
        version: 3
        reminders:
          - {id: mm, title: M, text: "{date}", schedule: {kind: monthly, day: 31}, time: "08:00", on_holiday: next_workday}
          - {id: ww, title: W, text: "{weekday}", schedule: {kind: monthly_weekday, nth: last, weekday: 周五}, time: "8:05"}
          - {id: qq, title: Q, text: "{quarter}", schedule: {kind: quarterly, month: 3, day: 31}, time: "09:00", lead_days: 7}
          - {id: yy, title: Y, text: "{year}", schedule: {kind: yearly, month: 2, day: 29}, time: "09:00", on_holiday: previous_workday}
          - {id: kk, title: K, text: "{month}", schedule: {kind: weekly, weekday: 5}, time: "09:00", tags: [村, 社区]}
          - {id: cc, title: C, text: "{{x}}", schedule: {kind: cron, expr: "0 8 * * mon-fri"}, source: 本地}
        term_end: {title: 换届, text: "{date}", time: "10:00", levels: {支部: 本支部委员会}, years: {其他: {支部: 3}}}
        """,
    )
    assert problems == []
    assert reminders.version == 3
    assert [r.id for r in reminders.reminders] == ["mm", "ww", "qq", "yy", "kk", "cc"]
    m, w, q, y, k, c = reminders.reminders
    assert (m.schedule, m.on_holiday, m.time) == (MonthlyDay(31), "next_workday", time(8))
    assert (w.schedule, w.time) == (MonthlyWeekday(-1, 4), time(8, 5))
    assert (q.schedule, q.lead_days) == (Quarterly(3, 31), 7)
    assert (y.schedule, y.on_holiday) == (Yearly(2, 29), "previous_workday")
    assert (k.schedule, k.tags, k.on_holiday) == (Weekly(4), ("村", "社区"), "keep")
    assert (c.schedule.expr, c.time, c.source) == ("0 8 * * mon-fri", None, "本地")
    assert reminders.term.months_before == (6, 3, 1) and reminders.term.time == time(10)
    assert m.line == 3 and c.line == 8
