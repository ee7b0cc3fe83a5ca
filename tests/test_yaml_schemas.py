"""The JSON Schemas of the knowledge and reminder YAML (knowledge/schema/) agree with `bot.py check`: the committed
files are current, every shipped file validates, and what a loader refuses the schema refuses too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jsonschema
import pytest
import yaml

import knowledge.yaml_schemas as knowledge_schemas
import reminders.yaml_schemas as reminder_schemas
from common.problems import Problem
from common.sources import parse_sources
from common.yamlload import parse_yaml
from knowledge.load import _load_categories, parse_synonyms
from knowledge.schema import parse_entries_file
from reminders.load import parse_reminders
from reminders.workdays import parse_holidays

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
MODULES = {name: module for module in (knowledge_schemas, reminder_schemas) for name in module.SCHEMAS}
#: Which schema each special knowledge file uses; every other knowledge/*.yaml is an entry file.
SPECIAL = {
    "sources.yaml": "sources",
    "categories.yaml": "categories",
    "synonyms.yaml": "synonyms",
    "reminders.yaml": "reminders",
    "holidays.yaml": "holidays",
}
NOT_COVERED = {"scope.yaml"}


def schema(name: str) -> dict:
    return MODULES[f"{name}.schema.json"].SCHEMAS[f"{name}.schema.json"]()


def _jsonable(value):
    """As the YAML language server sees a file (YAML 1.2): dates are strings, keys are strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def schema_errors(name: str, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(name))
    return [e.message for e in validator.iter_errors(_jsonable(yaml.safe_load(text)))]


@pytest.mark.parametrize("name", list(MODULES))
def test_committed_schema_files_are_current(name):
    module = MODULES[name]
    assert (module.DIRECTORY / name).read_text(encoding="utf-8") == module.render(name), (
        f"run: python -m {module.__name__} (or make schemas)"
    )


@pytest.mark.parametrize("name", list(MODULES))
def test_schemas_are_valid_json_schemas(name):
    jsonschema.Draft202012Validator.check_schema(MODULES[name].SCHEMAS[name]())


@pytest.mark.parametrize("path", sorted(KNOWLEDGE.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_knowledge_file_validates(path):
    if path.name in NOT_COVERED:
        pytest.skip(f"{path.name} has no schema yet")
    assert schema_errors(SPECIAL.get(path.name, "knowledge"), path.read_text(encoding="utf-8")) == []


# ------------------------------------------------------------------------------------- what check refuses


def _parse(parser):
    def run(tmp_path: Path, text: str) -> list[Problem]:
        problems: list[Problem] = []
        parser(parse_yaml(text.encode("utf-8"), "knowledge/x.yaml"), problems)
        return [p for p in problems if p.severity == "error"]

    return run


def _categories(tmp_path: Path, text: str) -> list[Problem]:
    (tmp_path / "categories.yaml").write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    _load_categories(tmp_path, "knowledge/categories.yaml", problems)
    return problems


CHECK = {
    "knowledge": _parse(parse_entries_file),
    "sources": _parse(parse_sources),
    "categories": _categories,
    "synonyms": _parse(parse_synonyms),
    "reminders": _parse(parse_reminders),
    "holidays": _parse(parse_holidays),
}

GOOD = {
    "knowledge": """\
version: 1
entries:
  - id: org_life.flag_raising
    title: 升旗仪式
    category: 组织生活
    questions: [支部升旗仪式怎么安排, 升旗仪式多久一次, 主题党日可以升旗吗]
    answer: 以本支部安排为准。
    source: {ref: branch_regulations, article: 第十七条}
    verified: false
    local_practice: false
    tags: [村]
    related: [org_life.theme_day]
""",
    "sources": """\
version: 1
sources:
  - id: branch_regulations
    title: 中国共产党支部工作条例（试行）
    issuer: 中共中央
    edition: 2018年
    date: 2018-10-28
    status: current
    checked: 全文
  - id: local_x
    title: 某地做法
    issuer: 某县委组织部
    edition: 2020年
    status: local
    place: 某县
    checked: 转载
""",
    "categories": """\
version: 1
categories:
  - name: 组织生活
    description: 三会一课
  - name: 党费
tags: [村, 社区]
""",
    "synonyms": """\
version: 1
groups:
  - [支委会, 支部委员会]
  - [党费, 党员会费, 党的费用]
""",
    "reminders": """\
version: 1
reminders:
  - id: theme_day
    title: 主题党日
    schedule: {kind: monthly_weekday, nth: last, weekday: Fri}
    time: "9:00"
    on_holiday: next_workday
    lead_days: 3
    text: "{year}年{month}的主题党日"
    tags: [每月]
  - id: morning
    title: 晨会
    schedule: {kind: cron, expr: "0 8 * * mon-fri"}
    text: 晨会
term_end:
  title: 委员会换届
  time: "09:00"
  months_before: [6, 3, 1]
  levels: {支部: 本支部委员会, 党委: 本党委}
  years:
    村: {支部: 5, 党委: 5}
    其他: {支部: 3, 党委: 5}
  text: "{organization}（每届{term_years}年）将于{date}届满"
""",
    "holidays": """\
version: 1
years:
  2026:
    source: 国务院办公厅关于2026年部分节假日安排的通知
    holidays:
      - {name: 元旦, from: 2026-01-01, to: 2026-01-03}
      - {name: 清明节, from: 2026-04-04}
    workdays: [2026-01-04]
""",
}

# (file kind, what is broken, the text replaced, its replacement)
BROKEN = [
    ("knowledge", "unknown field", "    verified: false\n", "    verified: false\n    verfied: true\n"),
    ("knowledge", "missing answer", "    answer: 以本支部安排为准。\n", ""),
    ("knowledge", "bad id", "id: org_life.flag_raising", "id: FlagRaising"),
    (
        "knowledge",
        "two questions",
        "[支部升旗仪式怎么安排, 升旗仪式多久一次, 主题党日可以升旗吗]",
        "[升旗怎么安排, 多久一次]",
    ),
    ("knowledge", "source as free text", "{ref: branch_regulations, article: 第十七条}", "支部工作条例第十七条"),
    ("knowledge", "article and no_article", "article: 第十七条}", "article: 第十七条, no_article: 无}"),
    ("knowledge", "unknown citation field", "article: 第十七条}", "articel: 第十七条}"),
    ("knowledge", "verified as text", "verified: false", "verified: 'no'"),
    ("knowledge", "empty answer", "answer: 以本支部安排为准。", "answer: ' '"),
    ("knowledge", "tags not a list", "tags: [村]", "tags: 村"),
    ("knowledge", "unknown top-level field", "version: 1\n", "version: 1\nverison: 2\n"),
    ("knowledge", "no entries", "entries:\n", "entrys:\n"),
    ("sources", "unknown status", "status: current", "status: valid"),
    ("sources", "local without place", "    place: 某县\n", ""),
    ("sources", "missing checked", "    checked: 全文\n", ""),
    ("sources", "unknown field", "    checked: 全文\n", "    checked: 全文\n    url: x\n"),
    ("sources", "boolean title", "title: 某地做法", "title: true"),
    ("categories", "category without name", "  - name: 党费\n", "  - description: 党费\n"),
    ("categories", "unknown category field", "    description: 三会一课\n", "    descripton: 三会一课\n"),
    ("categories", "tags not a list", "tags: [村, 社区]", "tags: 村"),
    ("categories", "unknown top-level field", "version: 1\n", "version: 1\nlabels: []\n"),
    ("synonyms", "a group of one", "  - [支委会, 支部委员会]\n", "  - [支委会]\n"),
    ("synonyms", "a one-character term", "[党费, 党员会费, 党的费用]", "[党费, 费]"),
    (
        "synonyms",
        "groups not a list",
        "groups:\n  - [支委会, 支部委员会]\n  - [党费, 党员会费, 党的费用]\n",
        "groups: 支委会\n",
    ),
    ("reminders", "unknown field", "    lead_days: 3\n", "    lead_days: 3\n    colour: red\n"),
    ("reminders", "unquoted time", 'time: "9:00"', "time: 9:00"),
    ("reminders", "time out of range", 'time: "9:00"', 'time: "25:00"'),
    ("reminders", "unknown schedule kind", "kind: monthly_weekday", "kind: fortnightly"),
    ("reminders", "field of another kind", "nth: last, weekday: Fri", "day: 3, weekday: Fri"),
    ("reminders", "bad weekday", "weekday: Fri", "weekday: Friyay"),
    ("reminders", "nth out of range", "nth: last", "nth: 5"),
    ("reminders", "bad holiday mode", "on_holiday: next_workday", "on_holiday: skip"),
    ("reminders", "lead days out of range", "lead_days: 3", "lead_days: 400"),
    ("reminders", "reserved id", "id: morning", "id: term_end"),
    ("reminders", "bad id", "id: theme_day", "id: Theme Day"),
    ("reminders", "missing time", '    time: "9:00"\n', ""),
    ("reminders", "cron with a time", "    text: 晨会\n", '    text: 晨会\n    time: "08:00"\n'),
    ("reminders", "missing text", "    text: 晨会\n", ""),
    ("reminders", "term without years", "  years:\n    村: {支部: 5, 党委: 5}\n    其他: {支部: 3, 党委: 5}\n", ""),
    ("reminders", "term without levels", "  levels: {支部: 本支部委员会, 党委: 本党委}\n", ""),
    ("reminders", "term years without 其他", "    其他: {支部: 3, 党委: 5}\n", ""),
    ("reminders", "term years out of range", "村: {支部: 5, 党委: 5}", "村: {支部: 50, 党委: 5}"),
    ("reminders", "term years as text", "村: {支部: 5, 党委: 5}", "村: {支部: 五, 党委: 5}"),
    ("reminders", "term row not a mapping", "村: {支部: 5, 党委: 5}", "村: 5"),
    ("reminders", "repeated months_before", "months_before: [6, 3, 1]", "months_before: [6, 6]"),
    ("reminders", "unknown term field", '  time: "09:00"\n', '  time: "09:00"\n  colour: red\n'),
    ("reminders", "empty level name", "支部: 本支部委员会,", "支部: '',"),
    ("reminders", "missing version", "version: 1\n", ""),
    ("holidays", "unknown year field", "    workdays: [2026-01-04]\n", "    workdays: [2026-01-04]\n    note: x\n"),
    ("holidays", "missing source", "    source: 国务院办公厅关于2026年部分节假日安排的通知\n", ""),
    ("holidays", "bad date", "from: 2026-04-04}", "from: 4月4日}"),
    ("holidays", "holiday without name", "{name: 清明节, from: 2026-04-04}", "{from: 2026-04-04}"),
    ("holidays", "year out of range", "  2026:\n", "  1900:\n"),
    (
        "holidays",
        "no holidays",
        "    holidays:\n      - {name: 元旦, from: 2026-01-01, to: 2026-01-03}\n"
        "      - {name: 清明节, from: 2026-04-04}\n",
        "    holidays: []\n",
    ),
]


@pytest.mark.parametrize("kind", list(GOOD))
def test_a_good_file_passes_both(tmp_path, kind):
    assert CHECK[kind](tmp_path, GOOD[kind]) == []
    assert schema_errors(kind, GOOD[kind]) == []


@pytest.mark.parametrize("kind, what, old, new", BROKEN, ids=[f"{b[0]}: {b[1]}" for b in BROKEN])
def test_a_broken_file_is_refused_by_both(tmp_path, kind, what, old, new):
    assert old in GOOD[kind]
    text = GOOD[kind].replace(old, new, 1)
    assert CHECK[kind](tmp_path, text), f"check accepts: {what}"
    assert schema_errors(kind, text), f"the schema accepts: {what}"


def test_every_loader_field_table_is_covered():
    """A field added to a loader's table and not to the schema fails here (the builders assert the same)."""
    from knowledge.schema import ENTRY_FIELDS
    from reminders.load import REMINDER_FIELDS, TERM_FIELDS

    entry = schema("knowledge")["properties"]["entries"]["items"]["properties"]
    reminders = schema("reminders")["properties"]
    assert set(entry) == set(ENTRY_FIELDS)
    assert set(reminders["reminders"]["items"]["properties"]) == set(REMINDER_FIELDS)
    assert set(reminders["term_end"]["properties"]) == set(TERM_FIELDS)
