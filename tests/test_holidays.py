"""knowledge/holidays.yaml (issue 17): an admin enters a year's 放假/调休 days from the State Council notice;
a listed year overrides chinese-calendar, and `bot.py check` warns when the next 90 days reach a year that
nobody knows. The 2030 data below is made up for the tests (no notice for 2030 exists)."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from handlers.content.checks import run_check
from reminders.load import load_reminders
from reminders.schedule import next_occurrences
from reminders.workdays import load_holidays

ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")

# A made-up 2030 notice: 元旦 off 1–3 January (Tue–Thu), Sunday 6 January worked; 1 March (a Friday)
# off as a "holiday" so a monthly reminder on the 1st has to move to Monday 4 March.
YEAR_2030 = """\
version: 1
years:
  2030:
    source: 测试用通知（虚构）
    holidays:
      - {name: 元旦, from: 2030-01-01, to: 2030-01-03}
      - {name: 测试假日, from: 2030-03-01}
    workdays: [2030-01-06]
"""


def folder_with(tmp_path: Path, holidays: str | None) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    shutil.copyfile(ROOT / "knowledge" / "reminders.yaml", folder / "reminders.yaml")
    if holidays is not None:
        (folder / "holidays.yaml").write_text(textwrap.dedent(holidays), encoding="utf-8")
    return folder


def theme_days(folder: Path, after: datetime, count: int) -> list[tuple[str, bool]]:
    reminders, problems = load_reminders(folder, folder.parent)
    assert reminders is not None, "\n".join(map(str, problems))
    occurrences = next_occurrences(reminders.get("theme_day"), after, SH, count=count)
    return [(o.event_date.isoformat(), o.calendar_fallback) for o in occurrences]


def test_the_shipped_2026_data_is_the_notice_and_agrees_with_chinese_calendar():
    calendar, problems = load_holidays(ROOT / "knowledge", ROOT)
    assert problems == [] and calendar is not None
    assert calendar.covers(2026)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert [d for d in days if calendar.is_workday(d) != chinese_calendar.is_workday(d)] == []
    names = [b.name for b in calendar.years[2026].holidays]
    assert names == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]


@pytest.mark.parametrize(
    "holidays, expected",
    [
        # no data for 2030: Monday–Friday fallback, flagged
        (None, [("2030-01-01", True), ("2030-02-01", True), ("2030-03-01", True)]),
        # the year entered: 元旦 block and the made-up 1 March holiday move the 主题党日 to the next workday
        (YEAR_2030, [("2030-01-04", False), ("2030-02-01", False), ("2030-03-04", False)]),
    ],
    ids=["no-data", "holidays.yaml"],
)
def test_a_year_in_holidays_yaml_drives_the_reminders(tmp_path, holidays, expected):
    folder = folder_with(tmp_path, holidays)
    assert theme_days(folder, datetime(2029, 12, 20, tzinfo=SH), 3) == expected


def test_holidays_yaml_overrides_chinese_calendar_for_a_year_it_knows(tmp_path):
    # chinese-calendar: 1 June 2026 (Monday) is a workday; the file says it is off, and the file wins.
    override = """\
    version: 1
    years:
      2026:
        source: 测试用通知（虚构）
        holidays:
          - {name: 测试假日, from: 2026-06-01, to: 2026-06-02}
    """
    assert theme_days(folder_with(tmp_path, None), datetime(2026, 5, 20, tzinfo=SH), 1) == [("2026-06-01", False)]
    other = tmp_path / "other"
    other.mkdir()
    assert theme_days(folder_with(other, override), datetime(2026, 5, 20, tzinfo=SH), 1) == [("2026-06-03", False)]


BAD = [
    (
        "weekday-workday",
        "2030:\n    source: x\n    holidays: [{name: 元旦, from: 2030-01-01}]\n    workdays: [2030-01-07]",
        "knowledge/holidays.yaml:6: years[2030].workdays[0]: 2030-01-07 is a weekday, already a workday: "
        "list only the Saturdays and Sundays worked (调休上班)",
    ),
    (
        "other-year",
        "2030:\n    source: x\n    holidays: [{name: 元旦, from: 2031-01-01}]",
        "knowledge/holidays.yaml:5: years[2030].holidays[0].from: 2031-01-01 is not in 2030 "
        "(only December 2029 may hold a day of 2030's 元旦 block)",
    ),
    (
        "bad-date",
        "2030:\n    source: x\n    holidays: [{name: 元旦, from: 2030-02-30}]",
        # PyYAML itself raised ValueError here (the generic apology on upload); now a located error
        "knowledge/holidays.yaml:5: years[2030].holidays[0].from: '2030-02-30' is not a valid timestamp: "
        "day is out of range for month",
    ),
    (
        "bad-date-text",
        "2030:\n    source: x\n    holidays: [{name: 元旦, from: '1月1日'}]",
        "knowledge/holidays.yaml:5: years[2030].holidays[0].from: expected a date YYYY-MM-DD, got '1月1日'",
    ),
    (
        "to-before-from",
        "2030:\n    source: x\n    holidays: [{name: 元旦, from: 2030-01-03, to: 2030-01-01}]",
        "knowledge/holidays.yaml:5: years[2030].holidays[0].to: 2030-01-01 is before from (2030-01-03)",
    ),
    (
        "no-source",
        "2030:\n    holidays: [{name: 元旦, from: 2030-01-01}]",
        "knowledge/holidays.yaml:4: years[2030].source: required: the notice these days come from "
        "(国务院办公厅关于2030年部分节假日安排的通知)",
    ),
    (
        "bad-year",
        "20300:\n    source: x\n    holidays: [{name: 元旦, from: 2030-01-01}]",
        "knowledge/holidays.yaml:4: years[20300]: expected a year 1990–2100 as the key, got 20300",
    ),
    (
        "workday-is-holiday",
        "2030:\n    source: x\n    holidays: [{name: 元旦, from: 2030-01-05, to: 2030-01-06}]\n"
        "    workdays: [2030-01-06]",
        "knowledge/holidays.yaml:6: years[2030].workdays[0]: 2030-01-06 is also listed as a holiday",
    ),
]


@pytest.mark.parametrize("body, expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_mistakes_are_located(tmp_path, body, expected):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "holidays.yaml").write_text(
        "version: 1\nyears:\n  " + body.replace('"', "'").strip() + "\n", encoding="utf-8"
    )
    calendar, problems = load_holidays(folder, tmp_path)
    assert calendar is None
    assert expected in [str(p) for p in problems], "\n".join(map(str, problems))


def copy_tree(dest: Path) -> Path:
    for folder in ("knowledge", "rules"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


NEXT_YEAR = "no holiday data for 2027, and the next 90 days reach it"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return copy_tree(tmp_path_factory.mktemp("check"))


@pytest.mark.parametrize(
    "today, warns",
    [
        (date(2026, 12, 7), True),  # the 90 days reach 2027, which nobody knows yet
        (date(2026, 9, 1), False),  # still inside 2026
    ],
)
def test_check_warns_when_the_next_90_days_reach_a_year_without_data(tree, today, warns):
    ok, lines = run_check(tree, today=today)
    assert ok, "\n".join(lines)
    assert any(NEXT_YEAR in line and line.startswith("warning: knowledge/holidays.yaml") for line in lines) is warns


def test_check_is_quiet_once_the_year_is_entered(tmp_path):
    root = copy_tree(tmp_path)
    path = root / "knowledge" / "holidays.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + textwrap.indent(
            textwrap.dedent("""\
        2027:
          source: 测试用通知（虚构）
          holidays:
            - {name: 元旦, from: 2027-01-01}
        """),
            "  ",
        ),
        encoding="utf-8",
    )
    ok, lines = run_check(root, today=date(2026, 12, 7))
    assert ok, "\n".join(lines)
    assert not any(NEXT_YEAR in line for line in lines)
