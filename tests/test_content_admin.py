"""ContentAdmin (issue 7): a broken candidate never reaches the live bot; good ones publish, replay and roll back.

Every test works on a copy of the shipped knowledge/ and rules/ YAML in tmp_path, never on the repository.
The malformed cases are small files written for the test (so their line numbers do not move when the shipped
content is edited); each expected message is the exact `file:line: path: message` an admin would receive.
"""

from __future__ import annotations

import re

import shutil
from datetime import date
from pathlib import Path

import pytest

import storage
from handlers.content.content import load_content
from handlers.content.admin import ContentAdmin, read_tree
from handlers.core.pipeline import Assistant, Inbound

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)

KNOWN_QUESTION, KNOWN_ENTRY = "入党要几个介绍人", "admission.sponsors"
SITUATION, SITUATION_VERDICT = "支部有2个正式党员能成立支部吗", "branch_formation.too_few_full_members=fail"


# -- fixtures ----------------------------------------------------------------------------------------------


def copy_content(dest: Path) -> Path:
    """Copy only the YAML of knowledge/ and rules/ into `dest` (the loaders take the root)."""
    for folder in ("knowledge", "rules"):
        (dest / folder).mkdir(parents=True)
        for path in sorted((ROOT / folder).glob("*.yaml")):
            shutil.copyfile(path, dest / folder / path.name)
    return dest


def load(root: Path):
    content, problems = load_content(root)
    assert content is not None, "\n".join(map(str, problems))
    return content


@pytest.fixture(scope="module")
def shared_content(tmp_path_factory):
    """One loaded Content for the malformed cases: they must never swap (or close) it."""
    return load(copy_content(tmp_path_factory.mktemp("shipped")))


class Setup:
    def __init__(self, root: Path, content):
        self.root = root
        self.db = storage.open_db(None)
        self.assistant = Assistant(content, querylog=None, today=lambda: TODAY)
        self.admin = ContentAdmin(root, self.assistant, db=self.db)

    def ask(self, text: str):
        return self.assistant.respond(Inbound(text))

    def outcome(self, text: str) -> list[str]:
        return [f"{v['rule_id']}={v['outcome']}" for v in self.ask(text).verdicts]

    def assert_old_answers(self) -> None:
        assert self.ask(KNOWN_QUESTION).entry_id == KNOWN_ENTRY
        assert SITUATION_VERDICT in self.outcome(SITUATION)


@pytest.fixture
def bad_setup(tmp_path, shared_content):
    return Setup(copy_content(tmp_path / "root"), shared_content)


@pytest.fixture
def fresh(tmp_path):
    """A private Content (publish and rollback close the old one) with a baseline version recorded."""
    root = copy_content(tmp_path / "root")
    setup = Setup(root, load(root))
    setup.admin.record_baseline()
    return setup


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below knowledge/ and rules/ (not only *.yaml: no stray temp file may appear either)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for d in ("knowledge", "rules")
        for p in sorted((root / d).rglob("*"))
        if p.is_file()
    }


# -- the malformed files -------------------------------------------------------------------------------------

ENTRY = """\
version: 1
entries:
  - id: extra.sample
    title: 测试条目
    category: 党员管理
    questions:
      - 测试问题一
      - 测试问题二
      - 测试问题三
    answer: 测试答案。
    source: {ref: member_education_regulations, article: 第二十五条}
    verified: true
    local_practice: false
"""

POLICY = """\
version: 1
policies:
  - id: extra.age_check
    topic: application
    needs:
      age: 请问申请人今年多大（周岁）？
    when:
      age: {lt: 16}
    priority: 10
    outcome: info
    message: 申请人{age}周岁。
    source: {ref: admission_rules_2026, article: 第五条}
    verified: true
    cases:
      - facts: {age: 15}
        expect: info
"""

REMINDERS = """\
version: 1
reminders:
  - id: extra_one
    title: 测试提醒
    schedule: {kind: monthly, day: 1}
    time: "09:00"
    on_holiday: next_workday
    text: 测试提醒正文
"""

SYNONYMS = """\
version: 1
groups:
  - [党支部, 支部]
  - [支部委员会, 支委会]
"""

SCOPE = """\
version: 1
party_terms: [党, 支部]
outside:
  - terms: [工会]
    hint: 请咨询工会。
"""


def sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def alias_levels(levels: int) -> str:
    """A billion-laughs document: each level lists the previous one ten times (10 aliases per level)."""
    lines = ["version: 1", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


K = "knowledge/extra.yaml"
# where the shipped admission.yaml defines admission.sponsors (a duplicate id's error points there)
SPONSORS_LINE = 1 + (ROOT / "knowledge" / "admission.yaml").read_text(encoding="utf-8").split("\n").index(
    "  - id: admission.sponsors"
)
R = "rules/extra.yaml"
REM = "knowledge/reminders.yaml"
SYN = "knowledge/synonyms.yaml"
SCO = "knowledge/scope.yaml"
KNOWN_FIELDS = (
    "id, title, category, questions, keywords, answer, steps, source, verified, local_practice, "
    "related, tags, note, aspects, not_for"
)
CATEGORIES = (
    "入党程序, 组织设置, 组织生活, 换届选举, 党费, 党员管理, 组织关系, 党员权利义务, 纪律处分, 党内关怀, 基层实践"
)
TOPICS = (
    "branch_formation, application, activist, candidate, branch_vote, probation, election, dues, org_life, "
    "membership_status, required_visit, weak_org"
)

# (case id, file to overwrite or add, content, the exact located error)
CASES = [
    # knowledge entries
    (
        "entry-missing-field",
        K,
        sub(ENTRY, "    answer: 测试答案。\n", ""),
        "knowledge/extra.yaml:3: entries[0].answer: required field missing",
    ),
    (
        "entry-wrong-type-questions",
        K,
        sub(
            ENTRY,
            "    questions:\n      - 测试问题一\n      - 测试问题二\n      - 测试问题三\n",
            "    questions: 测试问题一\n",
        ),
        "knowledge/extra.yaml:6: entries[0].questions: expected a list of text, got text",
    ),
    (
        "entry-wrong-type-verified",
        K,
        sub(ENTRY, "verified: true", "verified: 是"),
        "knowledge/extra.yaml:12: entries[0].verified: expected true or false, got text",
    ),
    (
        "entry-yes-as-text",
        K,
        sub(ENTRY, "answer: 测试答案。", "answer: yes"),
        "knowledge/extra.yaml:10: entries[0].answer: expected text, got a boolean (true) "
        "(YAML reads yes/no/on/off as booleans: put the text in quotes)",
    ),
    (
        "entry-empty-text",
        K,
        sub(ENTRY, "answer: 测试答案。", "answer: ''"),
        "knowledge/extra.yaml:10: entries[0].answer: expected text, got empty text",
    ),
    (
        "entry-duplicate-id-within-file",
        K,
        ENTRY + ENTRY.split("entries:\n", 1)[1],
        "knowledge/extra.yaml:14: id extra.sample: duplicate id (first defined at knowledge/extra.yaml:3)",
    ),
    (
        "entry-duplicate-id-across-files",
        K,
        sub(ENTRY, "id: extra.sample", "id: admission.sponsors"),
        f"knowledge/extra.yaml:3: id admission.sponsors: duplicate id (first defined at knowledge/admission.yaml:{SPONSORS_LINE})",
    ),
    (
        "entry-duplicate-key",
        K,
        sub(ENTRY, "    verified: true\n", "    verified: true\n    title: 又一个标题\n"),
        "knowledge/extra.yaml:13: entries[0].title: duplicate key 'title' (first defined on line 4)",
    ),
    (
        "entry-unknown-field",
        K,
        sub(ENTRY, "    verified: true\n", "    verified: true\n    author: 张三\n"),
        f"knowledge/extra.yaml:13: entries[0].author: unknown field (known fields: {KNOWN_FIELDS})",
    ),
    (
        "entry-bad-category",
        K,
        sub(ENTRY, "category: 党员管理", "category: 杂项"),
        f"knowledge/extra.yaml:3: extra.sample.category: unknown category '杂项' (expected one of {CATEGORIES}; "
        "categories live in knowledge/categories.yaml)",
    ),
    (
        "entry-too-few-questions",
        K,
        sub(ENTRY, "      - 测试问题三\n", ""),
        "knowledge/extra.yaml:7: entries[0].questions: needs at least 3 example questions, got 2",
    ),
    (
        "entry-unknown-related",
        K,
        sub(
            ENTRY, "    local_practice: false\n", "    local_practice: false\n    related: [admission.no_such_entry]\n"
        ),
        "knowledge/extra.yaml:3: extra.sample.related: unknown entry id 'admission.no_such_entry'",
    ),
    (
        "entry-related-to-itself",
        K,
        sub(ENTRY, "    local_practice: false\n", "    local_practice: false\n    related: [extra.sample]\n"),
        "knowledge/extra.yaml:3: extra.sample.related: an entry cannot relate to itself",
    ),
    (
        "entry-bad-id",
        K,
        sub(ENTRY, "id: extra.sample", "id: ExtraSample"),
        "knowledge/extra.yaml:3: entries[0].id: 'ExtraSample' is not a dotted lower-case id like "
        "admission.talk_within_month",
    ),
    (
        "entry-bad-tag",
        K,
        sub(ENTRY, "    local_practice: false\n", "    local_practice: false\n    tags: [农村]\n"),
        "knowledge/extra.yaml:3: extra.sample.tags: unknown tag '农村' (expected one of 村, 社区, 机关, 企业, 学校)",
    ),
    (
        "entry-not-a-mapping",
        K,
        "version: 1\nentries:\n  - 只是一句话\n",
        "knowledge/extra.yaml:3: entries[0]: expected a mapping with id, title, …, got text",
    ),
    ("entries-missing", K, "version: 1\n", "knowledge/extra.yaml:1: entries: required field missing"),
    (
        "entries-unknown-top-level-field",
        K,
        ENTRY + "author: 张三\n",
        "knowledge/extra.yaml:14: author: unknown top-level field (expected version and entries)",
    ),
    # top-level shape
    (
        "top-level-list",
        K,
        "- id: extra.sample\n  title: 测试条目\n",
        "knowledge/extra.yaml:1: top level must be a mapping with version and entries, got a list",
    ),
    (
        "top-level-text",
        K,
        "只是一句话\n",
        "knowledge/extra.yaml:1: top level must be a mapping with version and entries, got text",
    ),
    # YAML syntax
    (
        "yaml-tab-indentation",
        K,
        sub(ENTRY, "    title: 测试条目", "\ttitle: 测试条目"),
        "knowledge/extra.yaml:4: YAML syntax error: while scanning for the next token found character '\\t' "
        "that cannot start any token",
    ),
    (
        "yaml-unclosed-bracket",
        K,
        sub(ENTRY, "    local_practice: false\n", "    local_practice: false\n    related: [admission.sponsors\n"),
        "knowledge/extra.yaml:15: YAML syntax error: while parsing a flow sequence expected ',' or ']', "
        "but got '<stream end>'",
    ),
    (
        "yaml-bad-indentation",
        K,
        sub(ENTRY, "    category: 党员管理", "      category: 党员管理"),
        "knowledge/extra.yaml:5: YAML syntax error: mapping values are not allowed here",
    ),
    (
        "yaml-unclosed-quote",
        K,
        sub(ENTRY, "answer: 测试答案。", 'answer: "测试答案。'),
        "knowledge/extra.yaml:14: YAML syntax error: while scanning a quoted scalar found unexpected end of stream",
    ),
    # bytes and size
    (
        "not-utf8",
        K,
        ENTRY.encode("gbk"),
        "knowledge/extra.yaml:4: not valid UTF-8 (byte 0xb2 at offset 52); save the file as UTF-8",
    ),
    ("empty-file", K, b"", "knowledge/extra.yaml:1: file is empty"),
    ("only-comments", K, "# 只有注释\n\n", "knowledge/extra.yaml:1: file is empty"),
    (
        "alias-bomb-alias-limit",
        K,
        alias_levels(11),
        "knowledge/extra.yaml:13: YAML syntax error: more than 100 aliases",
    ),
    (
        "alias-bomb-node-limit",
        K,
        alias_levels(9),
        "knowledge/extra.yaml:2: document too large after expanding aliases (over 200,000 values)",
    ),
    (
        "over-1mb",
        K,
        "version: 1\n# " + "x" * 1_000_001 + "\nentries: []\n",
        "knowledge/extra.yaml: file is 1,000,027 bytes, over the 1,000,000-byte limit",
    ),
    # synonyms
    (
        "synonyms-term-in-two-groups",
        SYN,
        SYNONYMS + "  - [支部, 党小组]\n",
        "knowledge/synonyms.yaml:5: groups[2][0]: term '支部' is already in groups[0]: "
        "a term may map to one meaning only",
    ),
    (
        "synonyms-term-too-short",
        SYN,
        SYNONYMS + "  - [党, 党组织]\n",
        "knowledge/synonyms.yaml:5: groups[2][0]: term '党' is too short (at least 2 characters)",
    ),
    (
        "synonyms-groups-not-a-list",
        SYN,
        "version: 1\ngroups: 党支部\n",
        "knowledge/synonyms.yaml:2: groups: expected a mapping with version and groups (a list of term lists)",
    ),
    # scope.yaml
    (
        "scope-top-level-list",
        SCO,
        "- 工会\n- 团委\n",
        "knowledge/scope.yaml:1: expected a mapping with version, party_terms and outside",
    ),
    (
        "scope-extra-field",
        SCO,
        SCOPE + "    note: 多余\n",
        "knowledge/scope.yaml:4: outside[0]: expected exactly the fields terms and hint",
    ),
    (
        "scope-outside-not-a-list",
        SCO,
        "version: 1\nparty_terms: [党]\noutside: 工会\n",
        "knowledge/scope.yaml:3: outside: expected a list of {terms, hint}",
    ),
    (
        "scope-empty-party-terms",
        SCO,
        sub(SCOPE, "party_terms: [党, 支部]", "party_terms: []"),
        "knowledge/scope.yaml:2: party_terms: expected a non-empty list of text",
    ),
    # policies
    (
        "policy-unknown-operator",
        R,
        sub(POLICY, "{lt: 16}", "{less_than: 16}"),
        "rules/extra.yaml:8: policies[0].when.age.less_than: unknown operator 'less_than' (did you mean 'lt'?); "
        "use one of lt, lte, gt, gte, eq, ne, in, between, exists",
    ),
    (
        "policy-unknown-fact",
        R,
        sub(POLICY, "    when:\n      age:", "    when:\n      ages:"),
        "rules/extra.yaml:8: policies[0].when.ages: unknown fact 'ages' (did you mean 'age'?); "
        "use a fact from rules/vocabulary/facts.yaml or a name defined under `compute`",
    ),
    (
        "policy-missing-priority",
        R,
        sub(POLICY, "    priority: 10\n", ""),
        "rules/extra.yaml:3: policies[0]: missing required field 'priority' "
        "(an integer; verdicts are listed highest priority first)",
    ),
    (
        "policy-duplicate-id-within-file",
        R,
        POLICY + POLICY.split("policies:\n", 1)[1],
        "rules/extra.yaml:17: policies[1].id: duplicate policy id 'extra.age_check' "
        "(first defined at rules/extra.yaml:3)",
    ),
    # the line of application.age_under_18 in the shipped rules/admission.yaml
    (
        "policy-duplicate-id-across-files",
        R,
        sub(POLICY, "id: extra.age_check", "id: application.age_under_18"),
        "rules/extra.yaml:3: policies[0].id: duplicate policy id 'application.age_under_18' "
        "(first defined at rules/admission.yaml:6)",
    ),
    (
        "policy-failing-golden-case",
        R,
        sub(POLICY, "{age: 15}", "{age: 17}"),
        "rules/extra.yaml:15: policies[0].cases[0]: golden case failed: expected info, got none; "
        "verdicts fired: application.age_under_18 (fail)",
    ),
    (
        "policy-unknown-topic",
        R,
        sub(POLICY, "topic: application", "topic: marriage"),
        f"rules/extra.yaml:4: policies[0].topic: unknown topic 'marriage'; use one of {TOPICS}",
    ),
    (
        "policy-bad-placeholder",
        R,
        sub(POLICY, "申请人{age}周岁。", "申请人{agee}周岁。"),
        "rules/extra.yaml:11: policies[0].message: unknown placeholder {agee} (did you mean 'age'?); "
        "use a fact from `needs`, a computed name or {today}",
    ),
    (
        "policy-bad-outcome",
        R,
        sub(sub(POLICY, "outcome: info", "outcome: maybe"), "expect: info", "expect: none"),
        "rules/extra.yaml:10: policies[0].outcome: invalid outcome 'maybe'; use one of pass, fail, warn, info",
    ),
    ("policies-not-a-list", R, "version: 1\npolicies: {}\n", "rules/extra.yaml:2: policies: policies must be a list"),
    # reminders
    (
        "reminder-bad-time",
        REM,
        sub(REMINDERS, '"09:00"', '"25:00"'),
        "knowledge/reminders.yaml:6: reminders[0].time: expected a time \"HH:MM\" (00:00–23:59), got '25:00'",
    ),
    (
        "reminder-unquoted-time",
        REM,
        sub(REMINDERS, '"09:00"', "9:00"),
        'knowledge/reminders.yaml:6: reminders[0].time: expected a time "HH:MM" in quotes, got the number 540 '
        '(YAML reads an unquoted 9:00 as a number: write "9:00")',
    ),
    (
        "reminder-unknown-kind",
        REM,
        sub(REMINDERS, "kind: monthly, day: 1", "kind: fortnightly"),
        "knowledge/reminders.yaml:5: reminders[0].schedule.kind: unknown kind 'fortnightly' "
        "(expected one of monthly, monthly_weekday, quarterly, yearly, weekly, cron)",
    ),
    (
        "reminder-day-40",
        REM,
        sub(REMINDERS, "day: 1}", "day: 40}"),
        "knowledge/reminders.yaml:5: reminders[0].schedule.day: expected a day 1–31, got 40",
    ),
    (
        "reminder-bad-cron",
        REM,
        sub(sub(REMINDERS, "{kind: monthly, day: 1}", "{kind: cron, expr: '0 9 * *'}"), '    time: "09:00"\n', ""),
        "knowledge/reminders.yaml:5: reminders[0].schedule.expr: bad cron expression '0 9 * *': expected 5 fields "
        "(minute hour day-of-month month day-of-week), got 4",
    ),
    (
        "reminder-duplicate-id",
        REM,
        REMINDERS + REMINDERS.split("reminders:\n", 1)[1],
        "knowledge/reminders.yaml:9: reminders[1].id: duplicate id 'extra_one' (first used in reminders[0], line 3)",
    ),
    (
        "reminder-unknown-on-holiday",
        REM,
        sub(REMINDERS, "next_workday", "skip"),
        "knowledge/reminders.yaml:7: reminders[0].on_holiday: unknown mode 'skip' "
        "(expected next_workday, previous_workday or keep)",
    ),
]


def test_enough_cases():
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("path, data, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_malformed_file_is_rejected_and_the_old_version_keeps_answering(bad_setup, path, data, expected):
    s = bad_setup
    data = data.encode("utf-8") if isinstance(data, str) else data
    live = s.assistant.content
    before = tree_bytes(s.root)

    # an upload: validated against the current set, nothing written, nothing swapped
    candidate = s.admin.candidate({path: data})
    assert candidate.ok is False
    assert candidate.content is None
    assert expected in [str(p) for p in candidate.errors], "\n".join(map(str, candidate.errors))
    assert tree_bytes(s.root) == before
    assert s.assistant.content is live
    s.assert_old_answers()

    # the same file edited on disk, then /reload: refused, the running version stays live
    (s.root / path).write_bytes(data)
    reloaded = s.admin.reload(admin="admin-hash")
    assert reloaded.ok is False
    assert expected in [str(p) for p in reloaded.errors], "\n".join(map(str, reloaded.errors))
    assert s.assistant.content is live
    s.assert_old_answers()
    assert storage.list_versions(s.db) == []
    audit = storage.audit_log(s.db)
    assert [(a["action"], a["ok"]) for a in audit] == [("reload", 0)]
    assert expected in audit[0]["detail"]


def test_publish_refuses_a_bad_candidate(bad_setup):
    s = bad_setup
    candidate = s.admin.candidate({K: b"version: 1\n"})
    before = tree_bytes(s.root)
    with pytest.raises(ValueError):
        s.admin.publish(candidate)
    assert tree_bytes(s.root) == before
    s.assert_old_answers()


# -- good paths -------------------------------------------------------------------------------------------------

NEW_ID = "practices.political_birthday"
NEW_QUESTION = "党员政治生日是哪一天"
NEW_FILE = "knowledge/local_extra.yaml"
NEW_ENTRY = f"""\
version: 1
entries:
  - id: {NEW_ID}
    title: 党员政治生日
    category: 基层实践
    questions:
      - {NEW_QUESTION}
      - 怎么给党员过政治生日
      - 政治生日活动怎么搞
    keywords: [政治生日]
    answer: 党员的政治生日一般指入党宣誓（或接收为预备党员）的日子，支部可在当天或当月组织重温入党誓词、赠送政治生日贺卡等活动。
    source: {{ref: local_city_suburb}}
    verified: false
    local_practice: true
""".encode("utf-8")


def test_publish_a_new_entry_then_roll_back(fresh):
    s = fresh
    assert s.ask(NEW_QUESTION).entry_id != NEW_ID

    candidate = s.admin.candidate({NEW_FILE: NEW_ENTRY})
    assert candidate.ok, "\n".join(map(str, candidate.errors))
    assert f"条目新增 1：{NEW_ID}" in candidate.diff
    assert not (s.root / NEW_FILE).exists()  # nothing written before publish
    assert s.ask(NEW_QUESTION).entry_id != NEW_ID  # nor served

    s.admin.publish(candidate, admin="admin-hash")
    assert (s.root / NEW_FILE).read_bytes() == NEW_ENTRY
    assert s.assistant.content is candidate.content
    assert s.ask(NEW_QUESTION).entry_id == NEW_ID
    s.assert_old_answers()
    assert not [p for p in (s.root / "knowledge").iterdir() if p.name.startswith(".")]  # no temp file left
    versions = storage.list_versions(s.db)
    assert [v.action for v in versions] == ["publish", "baseline"]
    assert versions[0].digest == candidate.digest and versions[0].admin_hash == "admin-hash"
    assert NEW_FILE in storage.version_files(s.db, versions[0].id)
    assert NEW_FILE not in storage.version_files(s.db, versions[1].id)
    audit = storage.audit_log(s.db)
    assert (audit[0]["action"], audit[0]["ok"]) == ("publish", 1)
    assert NEW_ID in audit[0]["detail"]

    rolled, label = s.admin.rollback(admin="admin-hash")  # default: the version before the latest
    assert rolled is not None and rolled.ok, label
    assert label == f"版本 {versions[1].id}"
    assert f"条目删除 1：{NEW_ID}" in rolled.diff
    assert not (s.root / NEW_FILE).exists()
    assert s.ask(NEW_QUESTION).entry_id != NEW_ID
    s.assert_old_answers()
    assert read_tree(s.root) == read_tree(copy_content(s.root.parent / "pristine"))
    assert [v.action for v in storage.list_versions(s.db)] == ["rollback", "publish", "baseline"]
    assert storage.audit_log(s.db)[0]["action"] == "rollback"


def test_rollback_to_an_unknown_version_changes_nothing(fresh):
    s = fresh
    live, before = s.assistant.content, tree_bytes(s.root)
    candidate, message = s.admin.rollback(9999)
    assert candidate is None and message == "没有版本 9999。"
    assert s.assistant.content is live and tree_bytes(s.root) == before
    assert (storage.audit_log(s.db)[0]["action"], storage.audit_log(s.db)[0]["ok"]) == ("rollback", 0)


REMOVED_ID = "admission.foreign_national"  # an entry no other entry lists under `related`
LOGGED = [
    # the removed entry's questions: their answer changes
    "外国国籍的人能入党吗",
    "加入外籍了还能申请入党吗",
    "外国人可以加入中国共产党不",
    # questions the candidate leaves alone
    KNOWN_QUESTION,
    SITUATION,
    "我17岁能入党吗",
    "党费按什么标准交",
    "预备党员要交党费吗",
    "支部委员会多久开一次会",
    "三会一课是什么",
    "支部书记要几年党龄",
    "党员有哪些权利和义务",
    "什么是双重组织生活",
    "入党流程有哪些步骤",
    "党支部几年换届",
    "谁能直接接收党员",
    "党员组织关系应该放在哪",
    "今天天气怎么样",
    "你好",
    "入党申请书交给谁",
]


def remove_entry(text: str, entry_id: str) -> str:
    start = text.index(f"  - id: {entry_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return drop_references(text[:start] + (text[end + 1 :] if end != -1 else ""), entry_id)


def drop_references(text: str, entry_id: str) -> str:
    """The text with `entry_id` taken out of every `related: [...]` list."""

    def keep(match):
        ids = [i.strip() for i in match.group(2).split(",") if i.strip() and i.strip() != entry_id]
        return f"{match.group(1)}[{', '.join(ids)}]"

    return re.sub(r"^(\s*related: )\[([^\]]*)\]", keep, text, flags=re.M)


def without_entry(root: Path, entry_id: str) -> dict[str, bytes]:
    """Candidate files: the entry removed from its file, and every reference to it from the others."""
    files = {}
    for path in sorted((root / "knowledge").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if f"  - id: {entry_id}\n" in text:
            files[f"knowledge/{path.name}"] = remove_entry(text, entry_id).encode("utf-8")
        elif entry_id in text:
            files[f"knowledge/{path.name}"] = drop_references(text, entry_id).encode("utf-8")
    return files


def test_replay_lists_the_logged_questions_whose_answer_changes(fresh):
    s = fresh
    with storage.QueryLog(s.db, salt=b"test-salt") as querylog:
        for i, text in enumerate(LOGGED):
            querylog.log(text=text, channel="telegram", user_id=1000 + i)
        assert querylog.flush()
    assert sorted(storage.recent_questions(s.db, 500)) == sorted(LOGGED)

    before = {q: s.ask(q) for q in LOGGED}
    assert before["外国国籍的人能入党吗"].entry_id == REMOVED_ID
    candidate = s.admin.candidate(without_entry(s.root, REMOVED_ID))
    assert candidate.ok, "\n".join(map(str, candidate.errors))
    assert f"条目删除 1：{REMOVED_ID}" in candidate.diff
    assert candidate.replayed == len(LOGGED)

    changed = {c.question: c for c in candidate.changes}
    assert {"外国国籍的人能入党吗", "加入外籍了还能申请入党吗"} <= set(changed)
    assert all(c.before == REMOVED_ID and c.after != REMOVED_ID for c in changed.values())
    for question in set(LOGGED) - set(changed):
        assert before[question].entry_id != REMOVED_ID
    assert KNOWN_QUESTION not in changed and SITUATION not in changed

    assert s.ask("外国国籍的人能入党吗").entry_id == REMOVED_ID  # replay touched nothing live


def test_replay_limits_itself_to_the_last_n_questions(fresh):
    s = fresh
    with storage.QueryLog(s.db, salt=b"test-salt") as querylog:
        for text in LOGGED:
            querylog.log(text=text)
        assert querylog.flush()
    candidate = s.admin.candidate({NEW_FILE: NEW_ENTRY}, replay_last=5)
    assert candidate.ok and candidate.replayed == 5
    assert s.admin.candidate({NEW_FILE: NEW_ENTRY}, replay_last=0).replayed == 0


# -- reload from disk -----------------------------------------------------------------------------------------------


def test_reload_picks_up_an_edited_file_and_reports_the_diff(fresh):
    s = fresh
    live = s.assistant.content
    path = s.root / "knowledge/admission.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {KNOWN_ENTRY}\n")
    answer = text.index("    answer:", start)
    edited = (
        text[:answer]
        + "    answer: 入党介绍人为2名正式党员（测试修改）。\n"
        + text[text.index("\n    source:", answer) + 1 :]
    )
    path.write_text(edited, encoding="utf-8")

    reloaded = s.admin.reload(admin="admin-hash")
    assert reloaded.ok, "\n".join(map(str, reloaded.errors))
    assert reloaded.diff == [f"条目修改 1：{KNOWN_ENTRY}"]
    assert s.assistant.content is reloaded.content and s.assistant.content is not live
    reply = s.ask(KNOWN_QUESTION)
    assert reply.entry_id == KNOWN_ENTRY and "测试修改" in reply.text
    assert SITUATION_VERDICT in s.outcome(SITUATION)
    assert [v.action for v in storage.list_versions(s.db)] == ["reload", "baseline"]
    audit = storage.audit_log(s.db)[0]
    assert (audit["action"], audit["ok"]) == ("reload", 1) and KNOWN_ENTRY in audit["detail"]


@pytest.mark.parametrize(
    "path, edit, expected",
    [
        ("rules/organization.yaml", None, "政策修改"),
        ("knowledge/reminders.yaml", None, "提醒修改"),
        (NEW_FILE, NEW_ENTRY, f"条目新增 1：{NEW_ID}"),
    ],
    ids=["policy", "reminder", "new-file"],
)
def test_reload_reports_policy_reminder_and_new_file_changes(fresh, path, edit, expected):
    s = fresh
    target = s.root / path
    if edit is None:  # change one message text: the first `message:` (policies) or `title:` (reminders)
        text = target.read_text(encoding="utf-8")
        key = "    message: " if path.startswith("rules/") else "    title: "
        at = text.index(key) + len(key)
        target.write_text(text[:at] + "（测试）" + text[at:], encoding="utf-8")
    else:
        target.write_bytes(edit)
    reloaded = s.admin.reload()
    assert reloaded.ok, "\n".join(map(str, reloaded.errors))
    assert any(line.startswith(expected) for line in reloaded.diff), reloaded.diff
    assert s.assistant.content is reloaded.content
    s.assert_old_answers()


def test_reload_without_changes_says_so(fresh):
    s = fresh
    reloaded = s.admin.reload()
    assert reloaded.ok and reloaded.diff == ["内容没有变化"]
    s.assert_old_answers()
