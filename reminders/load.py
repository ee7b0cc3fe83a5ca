"""Load and validate knowledge/reminders.yaml into frozen dataclasses (format: docs/reminders.md).

Every problem is located as `knowledge/reminders.yaml:12: reminders[2].schedule.day: expected a day 1–31,
got 40`. The dataclasses themselves (Reminder, the schedule kinds, TermReminder) live in reminders.schedule,
which computes occurrences from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.problems import InvalidData, Problem
from common.yamlload import Loaded, load_yaml
from reminders.schedule import (
    HOLIDAY_MODES,
    KINDS,
    PLACEHOLDERS,
    TERM_MONTHS_BEFORE,
    TERM_PLACEHOLDERS,
    TERM_REMINDER_ID,
    OTHER_ORG_TYPE,
    Cron,
    MonthlyDay,
    MonthlyWeekday,
    Quarterly,
    Reminder,
    Schedule,
    TermReminder,
    Weekly,
    Yearly,
    parse_cron,
    parse_hhmm,
    parse_weekday,
    placeholders_in,
)
from reminders.workdays import HolidayCalendar, load_holidays

REMINDERS_FILE = "reminders.yaml"
TOP_FIELDS = ("version", "reminders", "term_end")
REMINDER_FIELDS = ("id", "title", "text", "schedule", "time", "lead_days", "on_holiday", "tags", "source")
REQUIRED_FIELDS = ("id", "title", "text", "schedule")
TERM_FIELDS = ("title", "text", "time", "months_before", "levels", "years", "source")
SCHEDULE_FIELDS = {
    "monthly": ("day",),
    "monthly_weekday": ("nth", "weekday"),
    "quarterly": ("month", "day"),
    "yearly": ("month", "day"),
    "weekly": ("weekday",),
    "cron": ("expr",),
}
#: Ids go into /remind commands and callback_data (64 bytes): short lower-case ASCII.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_LEAD_DAYS = 366
MAX_TERM_MONTHS = 24
MAX_TERM_YEARS = 10


@dataclass(frozen=True)
class ReminderSet:
    """The validated reminders.yaml: the reminders in file order and the 换届 reminder."""

    version: int
    reminders: tuple[Reminder, ...]
    term: TermReminder | None = None
    file: str = ""
    holidays: HolidayCalendar | None = field(default=None, compare=False, repr=False)
    by_id: dict[str, Reminder | TermReminder] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({r.id: r for r in self.reminders})
        if self.term is not None:
            self.by_id[self.term.id] = self.term

    def get(self, reminder_id: str) -> Reminder | TermReminder | None:
        return self.by_id.get(reminder_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id a chat can subscribe to, in file order, term_end last."""
        return tuple(self.by_id)


def load_reminders(folder: Path, root: Path | None = None) -> tuple[ReminderSet | None, list[Problem]]:
    """Load `folder`/reminders.yaml; (None, problems) when anything is invalid. Messages name the file
    relative to `root` (default: the folder's parent), e.g. knowledge/reminders.yaml."""
    root = root or folder.parent
    path = folder / REMINDERS_FILE
    try:
        display = str(path.relative_to(root))
    except ValueError:
        display = str(path)
    problems: list[Problem] = []
    try:
        doc = load_yaml(path, display)
    except InvalidData as exc:
        return None, exc.problems
    reminders = parse_reminders(doc, problems)
    calendar, holiday_problems = load_holidays(folder, root)
    problems += holiday_problems
    if any(p.severity == "error" for p in problems):
        return None, problems
    return with_holidays(reminders, calendar), problems


def with_holidays(reminders: ReminderSet, calendar: HolidayCalendar | None) -> ReminderSet:
    """The set with knowledge/holidays.yaml attached to it and to every reminder (their workday source)."""
    return ReminderSet(
        reminders.version,
        tuple(replace(r, calendar=calendar) for r in reminders.reminders),
        reminders.term,
        reminders.file,
        calendar,
    )


def _quote(names) -> str:
    return ", ".join("{" + n + "}" for n in names)


def _text(doc: Loaded, data: dict, path: tuple, key: str, problems: list[Problem], required: bool = True) -> str | None:
    if key not in data:
        if required:
            problems.append(doc.problem(path + (key,), "required field missing"))
        return None
    value = data[key]
    if not isinstance(value, str):
        problems.append(doc.problem(path + (key,), f"expected text, got {value!r}"))
        return None
    if not value.strip():
        problems.append(doc.problem(path + (key,), "must not be empty"))
        return None
    return value.strip()


def _check_placeholders(doc: Loaded, text: str, path: tuple, allowed: tuple[str, ...], problems: list[Problem]) -> None:
    try:
        names = placeholders_in(text)
    except ValueError as exc:
        problems.append(doc.problem(path, str(exc)))
        return
    for name in names:
        if name not in allowed:
            problems.append(doc.problem(path, f"unknown placeholder {{{name}}} (expected {_quote(allowed)})"))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_reminders(doc: Loaded, problems: list[Problem]) -> ReminderSet | None:
    """Validate a parsed reminders.yaml; append problems; return the set (partial when problems exist)."""
    data = doc.data
    if not isinstance(data, dict):
        problems.append(doc.problem((), "expected a mapping with version, reminders and term_end"))
        return None
    for key in data:
        if key not in TOP_FIELDS:
            problems.append(doc.problem((key,), f"unknown top-level field (expected {', '.join(TOP_FIELDS)})"))
    version = 0
    if "version" not in data:
        problems.append(doc.problem(("version",), "required field missing"))
    elif _int(data["version"]) is None or data["version"] < 1:
        problems.append(doc.problem(("version",), f"expected a whole number ≥ 1, got {data['version']!r}"))
    else:
        version = data["version"]
    items = data.get("reminders")
    reminders: list[Reminder] = []
    if not isinstance(items, list):
        problems.append(doc.problem(("reminders",), "expected a list of reminders"))
        items = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        reminder = _parse_reminder(doc, item, ("reminders", i), problems)
        if reminder is None:
            continue
        if reminder.id in seen:
            first = seen[reminder.id]
            problems.append(
                doc.problem(
                    ("reminders", i, "id"),
                    f"duplicate id '{reminder.id}' (first used in "
                    f"reminders[{first}], line {doc.line(('reminders', first, 'id'))})",
                )
            )
            continue
        seen[reminder.id] = i
        reminders.append(reminder)
    term = None
    if "term_end" in data:
        term = _parse_term(doc, data["term_end"], ("term_end",), problems)
    return ReminderSet(version, tuple(reminders), term, doc.file)


def _parse_reminder(doc: Loaded, item: object, path: tuple, problems: list[Problem]) -> Reminder | None:
    if not isinstance(item, dict):
        problems.append(doc.problem(path, "expected a mapping (a reminder with id, title, text, schedule, time)"))
        return None
    before = len(problems)
    for key in item:
        if key not in REMINDER_FIELDS:
            problems.append(doc.problem(path + (key,), f"unknown field (expected one of {', '.join(REMINDER_FIELDS)})"))
    for key in REQUIRED_FIELDS:
        if key not in item:
            problems.append(doc.problem(path + (key,), "required field missing"))
    rid = item.get("id")
    if "id" in item:
        if not isinstance(rid, str) or not ID_PATTERN.match(rid):
            problems.append(
                doc.problem(
                    path + ("id",),
                    f"expected a lower-case id of 2–32 letters, digits and _ starting with a letter, got {rid!r}",
                )
            )
        elif rid == TERM_REMINDER_ID:
            problems.append(
                doc.problem(
                    path + ("id",),
                    f"'{TERM_REMINDER_ID}' is reserved for the 换届 reminders (configure them under term_end)",
                )
            )
    title = _text(doc, item, path, "title", problems, required=False) if "title" in item else None
    text = _text(doc, item, path, "text", problems, required=False) if "text" in item else None
    if text is not None:
        _check_placeholders(doc, text, path + ("text",), PLACEHOLDERS, problems)
    schedule = _parse_schedule(doc, item["schedule"], path + ("schedule",), problems) if "schedule" in item else None
    at = None
    if isinstance(schedule, Cron):
        if "time" in item:
            problems.append(doc.problem(path + ("time",), "a cron schedule takes its time from expr; remove time"))
    elif "time" not in item:
        if schedule is not None:
            problems.append(doc.problem(path + ("time",), "required field missing"))
    else:
        try:
            at = parse_hhmm(item["time"])
        except ValueError as exc:
            problems.append(doc.problem(path + ("time",), str(exc)))
    lead = item.get("lead_days", 0)
    if _int(lead) is None or not 0 <= lead <= MAX_LEAD_DAYS:
        problems.append(
            doc.problem(path + ("lead_days",), f"expected a whole number of days 0–{MAX_LEAD_DAYS}, got {lead!r}")
        )
        lead = 0
    mode = item.get("on_holiday", "keep")
    if mode not in HOLIDAY_MODES:
        problems.append(
            doc.problem(
                path + ("on_holiday",), f"unknown mode {mode!r} (expected next_workday, previous_workday or keep)"
            )
        )
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(doc.problem(path + ("tags",), f"expected a list of text, got {tags!r}"))
        tags = []
    source = _text(doc, item, path, "source", problems, required=False)
    if len(problems) > before or schedule is None or title is None or text is None:
        return None
    return Reminder(rid, title, text, schedule, at, lead, mode, tuple(t.strip() for t in tags), source, doc.line(path))


def _parse_schedule(doc: Loaded, data: object, path: tuple, problems: list[Problem]) -> Schedule | None:
    if not isinstance(data, dict):
        problems.append(doc.problem(path, f"expected a mapping with kind and its fields ({', '.join(KINDS)})"))
        return None
    kind = data.get("kind")
    if "kind" not in data:
        problems.append(doc.problem(path + ("kind",), "required field missing"))
        return None
    if kind not in KINDS:
        problems.append(doc.problem(path + ("kind",), f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})"))
        return None
    fields = SCHEDULE_FIELDS[kind]
    before = len(problems)
    for key in data:
        if key != "kind" and key not in fields:
            problems.append(
                doc.problem(path + (key,), f"unknown field for kind {kind} (expected kind, {', '.join(fields)})")
            )
    for key in fields:
        if key not in data:
            problems.append(doc.problem(path + (key,), f"required for kind {kind}"))
    if len(problems) > before:
        return None

    def number(key: str, lo: int, hi: int, what: str, suffix: str = "") -> int | None:
        value = data[key]
        if _int(value) is None or not lo <= value <= hi:
            problems.append(doc.problem(path + (key,), f"expected {what} {lo}–{hi}{suffix}, got {value!r}"))
            return None
        return value

    def weekday() -> int | None:
        try:
            return parse_weekday(data["weekday"])
        except ValueError as exc:
            problems.append(doc.problem(path + ("weekday",), str(exc)))
            return None

    if kind == "monthly":
        day = number("day", 1, 31, "a day")
        return None if day is None else MonthlyDay(day)
    if kind == "monthly_weekday":
        nth = data["nth"]
        if nth in ("last", -1):
            nth = -1
        elif _int(nth) is None or not 1 <= nth <= 4:
            problems.append(doc.problem(path + ("nth",), f"expected nth 1–4 or last, got {nth!r}"))
            nth = None
        wd = weekday()
        return None if nth is None or wd is None else MonthlyWeekday(nth, wd)
    if kind == "quarterly":
        month = number("month", 1, 3, "a month of the quarter")
        day = number("day", 1, 31, "a day")
        return None if month is None or day is None else Quarterly(month, day)
    if kind == "yearly":
        month = number("month", 1, 12, "a month")
        if month is None:
            return None
        last = 29 if month == 2 else (30 if month in (4, 6, 9, 11) else 31)
        day = number("day", 1, last, "a day", f" for month {month}")
        return None if day is None else Yearly(month, day)
    if kind == "weekly":
        wd = weekday()
        return None if wd is None else Weekly(wd)
    expr = data["expr"]
    try:
        spec = parse_cron(expr)
    except ValueError as exc:
        problems.append(doc.problem(path + ("expr",), f"bad cron expression {expr!r}: {exc}"))
        return None
    return Cron(spec.expr, spec)


def _parse_term(doc: Loaded, data: object, path: tuple, problems: list[Problem]) -> TermReminder | None:
    if not isinstance(data, dict):
        problems.append(doc.problem(path, "expected a mapping with title, text, time and months_before"))
        return None
    before = len(problems)
    for key in data:
        if key not in TERM_FIELDS:
            problems.append(doc.problem(path + (key,), f"unknown field (expected one of {', '.join(TERM_FIELDS)})"))
    title = _text(doc, data, path, "title", problems)
    text = _text(doc, data, path, "text", problems)
    if text is not None:
        _check_placeholders(doc, text, path + ("text",), TERM_PLACEHOLDERS, problems)
    at = None
    if "time" not in data:
        problems.append(doc.problem(path + ("time",), "required field missing"))
    else:
        try:
            at = parse_hhmm(data["time"])
        except ValueError as exc:
            problems.append(doc.problem(path + ("time",), str(exc)))
    months = data.get("months_before", list(TERM_MONTHS_BEFORE))
    if (
        not isinstance(months, list)
        or not months
        or not all(_int(m) is not None and 1 <= m <= MAX_TERM_MONTHS for m in months)
        or len(set(months)) != len(months)
    ):
        problems.append(
            doc.problem(
                path + ("months_before",),
                f"expected a list of distinct whole months 1–{MAX_TERM_MONTHS}, got {months!r}",
            )
        )
        months = list(TERM_MONTHS_BEFORE)
    levels = _parse_levels(doc, data, path + ("levels",), problems)
    years = _parse_years(doc, data, path + ("years",), levels, problems)
    source = _text(doc, data, path, "source", problems, required=False)
    if len(problems) > before or title is None or text is None or at is None:
        return None
    return TermReminder(
        title, text, at, tuple(sorted(months, reverse=True)), source, line=doc.line(path), levels=levels, years=years
    )


def _parse_levels(doc: Loaded, data: dict, path: tuple, problems: list[Problem]) -> dict[str, str]:
    """term_end.levels: organization level → how the text names its committee; the first is the default."""
    levels = data.get("levels")
    if "levels" not in data:
        problems.append(doc.problem(path, "required field missing"))
        return {}
    if not isinstance(levels, dict) or not levels:
        problems.append(
            doc.problem(path, "expected a mapping of organization levels to committee names, e.g. 支部: 本支部委员会")
        )
        return {}
    out = {}
    for level, name in levels.items():
        if not isinstance(level, str) or not level.strip():
            problems.append(doc.problem(path + (level,), f"expected a level name, got {level!r}"))
        elif not isinstance(name, str) or not name.strip():
            problems.append(doc.problem(path + (level,), f"expected the committee's name as text, got {name!r}"))
        else:
            out[level] = name.strip()
    return out


def _parse_years(
    doc: Loaded, data: dict, path: tuple, levels: dict[str, str], problems: list[Problem]
) -> dict[str, dict[str, int]]:
    """term_end.years: organization type → level → years; every type lists every level, 其他 is required."""
    table = data.get("years")
    if "years" not in data:
        problems.append(doc.problem(path, "required field missing"))
        return {}
    if not isinstance(table, dict) or not table:
        problems.append(doc.problem(path, "expected a mapping of organization types to {level: years}"))
        return {}
    if OTHER_ORG_TYPE not in table:
        problems.append(doc.problem(path, f"missing the row {OTHER_ORG_TYPE} (used when /term gives no type)"))
    out: dict[str, dict[str, int]] = {}
    for org_type, row in table.items():
        where = path + (org_type,)
        if not isinstance(org_type, str) or not org_type.strip():
            problems.append(doc.problem(where, f"expected an organization type name, got {org_type!r}"))
            continue
        if org_type in levels:
            problems.append(doc.problem(where, f"'{org_type}' is a level; a type and a level cannot share a name"))
            continue
        if not isinstance(row, dict):
            problems.append(doc.problem(where, f"expected a mapping {{level: years}} for {', '.join(levels)}"))
            continue
        for level in row:
            if level not in levels:
                problems.append(
                    doc.problem(where + (level,), f"unknown level {level!r} (expected one of {', '.join(levels)})")
                )
        for level in levels:
            if level not in row:
                problems.append(doc.problem(where + (level,), "required: every type gives years for every level"))
            elif _int(row[level]) is None or not 1 <= row[level] <= MAX_TERM_YEARS:
                problems.append(
                    doc.problem(where + (level,), f"expected whole years 1–{MAX_TERM_YEARS}, got {row[level]!r}")
                )
        out[org_type] = {lv: row[lv] for lv in levels if _int(row.get(lv)) is not None}
    return out
