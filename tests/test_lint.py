"""The knowledge-base and policy lint: each rule on tiny YAML loaded through the real loaders, then the shipped content."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from knowledge.lint import colliding_questions, dangling_related, lint_knowledge, synonym_conflicts
from knowledge.load import KnowledgeBase, load_knowledge
from knowledge.match import Matcher
from tests.conftest import knowledge_folder
from rules import load_policies
from rules.lint import lint_policies, numeric_gaps, overlapping_policies

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- knowledge base


def entry(
    eid: str, questions: list[str], answer: str = "两名正式党员。", keywords: list[str] = (), related: list[str] = ()
) -> str:
    """One entry of 9 lines (and 1 each for keywords, related): the n-th short entry starts at line 3 + 9·n."""
    text = (
        f"  - id: {eid}\n    title: {questions[0]}\n    category: 入党程序\n"
        f"    questions: [{', '.join(questions)}]\n    answer: {answer}\n"
        f"    source: {{ref: party_constitution, article: 第五条}}\n    verified: true\n    local_practice: false\n"
    )
    if keywords:
        text += f"    keywords: [{', '.join(keywords)}]\n"
    if related:
        text += f"    related: [{', '.join(related)}]\n"
    return text + "\n"


def load_kb(tmp_path: Path, entries: list[str], groups: list[list[str]] = ()) -> KnowledgeBase:
    folder = knowledge_folder(tmp_path)
    (folder / "t.yaml").write_text("version: 1\nentries:\n" + "".join(entries), encoding="utf-8")
    if groups:
        lines = "".join(f"  - [{', '.join(g)}]\n" for g in groups)
        (folder / "synonyms.yaml").write_text(f"version: 1\ngroups:\n{lines}", encoding="utf-8")
    kb, problems = load_knowledge(folder, tmp_path)
    assert kb is not None, "\n".join(map(str, problems))
    return kb


ALPHA = entry("test.alpha", ["入党要几个介绍人", "介绍人要几个", "需要几名入党介绍人"])
DUES = entry("test.dues", ["党费按什么比例交", "工资三千交多少党费", "党费怎么算"], answer="按月收入比例交纳。")

COLLISIONS = [
    ("different questions", [ALPHA, DUES], [], []),
    (
        "the same question once normalized",
        [ALPHA, entry("test.beta", ["入党要几个介绍人？", "介绍人是谁定的", "谁来当入党介绍人"])],
        [],
        [
            "knowledge/t.yaml:12: test.beta.questions[0]: example question '入党要几个介绍人？' is also an example "
            "question of test.alpha (knowledge/t.yaml:3); keep it in one entry"
        ],
    ),
    (
        "synonyms make two questions the same: a tie",
        [
            entry("test.term", ["预备期多久", "预备期有几年", "预备期一年吗"]),
            entry("test.delay", ["预备期多长时间", "延长预备期怎么办", "预备期能延长吗"]),
        ],
        [["多久", "多长时间"]],
        [
            "knowledge/t.yaml:3: test.term.questions[0]: example question '预备期多久' nearly ties test.term with "
            "test.delay (raw 1.000 vs 1.000)",
            "knowledge/t.yaml:12: test.delay.questions[0]: example question '预备期多长时间' nearly ties test.delay with "
            "test.term (raw 1.000 vs 1.000)",
        ],
    ),
    (
        "a clear winner is no tie (a misranked question is the self-test's error)",
        [
            entry("test.term", ["预备期多久", "预备期有几年", "预备期一年吗"]),
            entry("test.delay", ["预备期多长时间", "延长预备期怎么办", "预备期能延长吗"], keywords=["预备期"]),
        ],
        [["多久", "多长时间"]],
        [],
    ),
]


@pytest.mark.parametrize("name, entries, groups, expected", COLLISIONS, ids=[c[0] for c in COLLISIONS])
def test_colliding_questions(tmp_path, name, entries, groups, expected):
    kb = load_kb(tmp_path, entries, groups)
    found = colliding_questions(kb, Matcher(kb))
    assert [str(p) for p in found] == expected
    severity = "error" if "same question" in name else "warning"
    assert all(p.severity == severity for p in found)


SYNONYMS = [
    ("groups that never clash", [["党支部", "支部"], ["党员大会", "支部大会", "党支部大会"]], [], []),
    (
        "one term, two meanings once normalized",
        [["成年", "十八岁"], ["满18岁", "18岁"]],
        [],
        [
            (
                "error",
                "knowledge/synonyms.yaml: groups[1][1]: term '18岁' is the same as '十八岁' in groups[0] once "
                "normalized: it maps to two meanings (成年 and 满18岁)",
            )
        ],
    ),
    (
        "a term holding a variant of another group",
        [["党支部", "支部"], ["党员大会", "支部大会"]],
        [],
        [
            (
                "warning",
                "knowledge/synonyms.yaml: groups[1][1]: '支部大会' contains '支部' of groups[0] (党支部): "
                "'党支部大会' becomes '党支部大会', not '党员大会' (rewriting is order-dependent); "
                "add '党支部大会' to this group if it means the same",
            )
        ],
    ),
    ("a variant already written out in full is fine", [["党支部", "支部"], ["支部书记", "党支部书记", "支书"]], [], []),
    (
        "a group no entry uses",
        [["党支部", "支部"], ["选举工作条例", "选举条例"]],
        [],
        [
            (
                "warning",
                "knowledge/synonyms.yaml: groups[1]: dead synonym: no entry uses '选举工作条例' or any of its variants",
            )
        ],
    ),
    (
        "a group used only through a variant is alive",
        [["党支部", "支部"], ["选举工作条例", "选举条例"]],
        [entry("test.rules", ["选举条例在哪里", "换届依据什么", "选举依据哪个文件"])],
        [],
    ),
]


@pytest.mark.parametrize("name, groups, extra, expected", SYNONYMS, ids=[c[0] for c in SYNONYMS])
def test_synonym_conflicts(tmp_path, name, groups, extra, expected):
    used = entry("test.uses", ["支部大会怎么开", "党支部书记谁当", "成年了吗", "满18岁能入党吗"])
    kb = load_kb(tmp_path, [used, *extra], groups)
    assert [(p.severity, str(p)) for p in synonym_conflicts(kb)] == expected


def test_dangling_related(tmp_path):
    kb = load_kb(
        tmp_path,
        [entry("test.alpha", ["入党要几个介绍人", "介绍人要几个", "需要几名入党介绍人"], related=["test.dues"]), DUES],
    )
    assert dangling_related(kb) == []
    alpha = dataclasses.replace(kb.by_id["test.alpha"], related=("test.dues", "test.gone"))
    candidate = KnowledgeBase((alpha, kb.by_id["test.dues"]), kb.synonyms, kb.version, kb.files)
    found = dangling_related(candidate)
    assert [(p.severity, str(p)) for p in found] == [
        ("error", "knowledge/t.yaml:3: test.alpha.related: unknown entry id 'test.gone'")
    ]
    assert lint_knowledge(candidate, Matcher(candidate)) == found


# ---------------------------------------------------------------- policies


def policy(
    pid: str,
    when: str,
    outcome: str,
    case: str,
    topic: str = "branch_formation",
    needs: str = "full_members: 几名正式党员？",
    compute: str = "",
) -> str:
    """One policy; `when` and `case` are YAML flow mappings (the facts of a case where it fires)."""
    return (
        f"  - id: {pid}\n    topic: {topic}\n    needs: {{{needs}}}\n"
        + (f"    compute: {{{compute}}}\n" if compute else "")
        + f"    when: {{{when}}}\n    priority: 50\n    outcome: {outcome}\n    message: 测试\n"
        f"    source: {{ref: branch_regulations, article: 第四条}}\n    verified: true\n    cases:\n      - facts: {{{case}}}\n        expect: {outcome}\n"
    )


def load_set(tmp_path: Path, policies: list[str]):
    (tmp_path / "a.yaml").write_text("version: 1\npolicies:\n" + "".join(policies), encoding="utf-8")
    loaded, problems = load_policies(tmp_path)
    assert loaded is not None, "\n".join(map(str, problems))
    return loaded


BIG = policy("t.big", "full_members: {gte: 7}", "pass", "full_members: 7")
SMALL = policy("t.small", "full_members: {lt: 50}", "warn", "full_members: 7")
CANDIDATES = dict(
    topic="election",
    needs="seats: 应选几名？, candidates: 候选人几名？",
    compute="min_candidates: {ceil: {mul: [seats, 1.2]}}",
)
INCOME = dict(topic="dues", needs="monthly_income: 月收入？")

OVERLAPS = [
    (
        "overlapping ranges, different outcomes",
        [BIG, SMALL],
        [
            "a.yaml:3: t.big.when: policies t.big and t.small overlap when full_members in [7, 49] with different "
            "outcomes (pass vs warn)"
        ],
    ),
    ("overlapping ranges, the same outcome", [BIG, SMALL.replace("warn", "pass")], []),
    (
        "ranges that do not meet",
        [
            policy("t.few", "full_members: {lt: 3}", "fail", "full_members: 2"),
            policy("t.enough", "full_members: {gte: 3}", "pass", "full_members: 3"),
        ],
        [],
    ),
    (
        "choices",
        [
            policy("t.rural", "org_type: {in: [村, 社区]}", "info", "org_type: 村", needs="org_type: 哪类？"),
            policy("t.village", "org_type: {eq: 村}", "warn", "org_type: 村", needs="org_type: 哪类？"),
        ],
        [
            "a.yaml:3: t.rural.when: policies t.rural and t.village overlap when org_type = 村 with different outcomes "
            "(info vs warn)"
        ],
    ),
    (
        "a computed threshold on both sides",
        [
            policy("t.short", "candidates: {lt: min_candidates}", "fail", "seats: 5, candidates: 5", **CANDIDATES),
            policy("t.ok", "candidates: {gte: min_candidates}", "pass", "seats: 5, candidates: 6", **CANDIDATES),
        ],
        [],
    ),
    (
        "a computed threshold met by both at one value",
        [
            policy("t.short", "candidates: {lte: min_candidates}", "warn", "seats: 5, candidates: 6", **CANDIDATES),
            policy("t.ok", "candidates: {gte: min_candidates}", "pass", "seats: 5, candidates: 6", **CANDIDATES),
        ],
        [
            "a.yaml:3: t.short.when: policies t.short and t.ok overlap when candidates = min_candidates with different "
            "outcomes (warn vs pass)"
        ],
    ),
    (
        "one needs a fact the other requires missing",
        [
            policy("t.alone", "full_members: {lt: 10}, units: {exists: false}", "fail", "full_members: 5"),
            policy(
                "t.joint",
                "full_members: {gte: 5}, units: {gte: 2}",
                "pass",
                "full_members: 5, units: 2",
                needs="full_members: 几名？, units: 几个单位？",
            ),
        ],
        [],
    ),
    (
        "independent checks sharing only a context",
        [
            policy(
                "t.v_few",
                "org_type: {eq: 村}, full_members: {lt: 3}",
                "fail",
                "org_type: 村, full_members: 2",
                needs="org_type: 哪类？, full_members: 几名？",
            ),
            policy(
                "t.v_big",
                "org_type: {eq: 村}, members_total: {gt: 50}",
                "info",
                "org_type: 村, members_total: 51",
                needs="org_type: 哪类？, members_total: 几名？",
            ),
        ],
        [],
    ),
]


@pytest.mark.parametrize("name, policies, expected", OVERLAPS, ids=[c[0] for c in OVERLAPS])
def test_overlapping_policies(tmp_path, name, policies, expected):
    found = overlapping_policies(load_set(tmp_path, policies))
    assert [f"{Path(p.file).name}:{p.line}: {p.path}: {p.message}" for p in found] == expected
    assert all(p.severity == "warning" for p in found)


GAPS = [
    (
        "thresholds that meet",
        [
            policy("t.few", "full_members: {lt: 3}", "fail", "full_members: 2"),
            policy("t.enough", "full_members: {gte: 3}", "pass", "full_members: 3"),
        ],
        [],
    ),
    (
        "zero and everything above the last threshold",
        [
            policy("t.few", "full_members: {gt: 0, lt: 3}", "fail", "full_members: 2"),
            policy("t.some", "full_members: {between: [3, 6]}", "pass", "full_members: 3"),
        ],
        ["a.yaml:3: branch_formation.full_members: no policy covers 0, 7 or more"],
    ),
    (
        "a decimal bracket",
        [
            policy("t.low", "monthly_income: {lte: 3000}", "info", "monthly_income: 2000", **INCOME),
            policy("t.high", "monthly_income: {gt: 5000}", "info", "monthly_income: 6000", **INCOME),
        ],
        ["a.yaml:3: dues.monthly_income: no policy covers (3000, 5000]"],
    ),
    (
        "other conditions are projected away",
        [
            policy(
                "t.worker",
                "retired: {eq: false}, monthly_income: {lte: 3000}",
                "info",
                "retired: false, monthly_income: 1",
                topic="dues",
                needs="retired: 退休？, monthly_income: 月收入？",
            ),
            policy("t.rich", "monthly_income: {gt: 3000}", "info", "monthly_income: 6000", **INCOME),
        ],
        [],
    ),
    (
        "a computed threshold cannot be checked",
        [policy("t.short", "candidates: {lt: min_candidates}", "fail", "seats: 5, candidates: 5", **CANDIDATES)],
        [],
    ),
]


@pytest.mark.parametrize("name, policies, expected", GAPS, ids=[c[0] for c in GAPS])
def test_numeric_gaps(tmp_path, name, policies, expected):
    found = numeric_gaps(load_set(tmp_path, policies))
    assert [f"{Path(p.file).name}:{p.line}: {p.path}: {p.message}" for p in found] == expected
    assert all(p.severity == "warning" for p in found)


def test_lint_policies_combines_both(tmp_path):
    loaded = load_set(tmp_path, [BIG, SMALL])
    assert lint_policies(loaded) == overlapping_policies(loaded) + numeric_gaps(loaded)
    assert [p.message for p in lint_policies(loaded.policies)] == [p.message for p in lint_policies(loaded)]


# ---------------------------------------------------------------- the shipped content


def test_shipped_content_has_no_lint_errors():
    kb, problems = load_knowledge(ROOT / "knowledge", ROOT)
    assert kb is not None, "\n".join(map(str, problems))
    policies, problems = load_policies(ROOT / "rules")
    assert policies is not None, "\n".join(map(str, problems))
    found = lint_knowledge(kb, Matcher(kb)) + lint_policies(policies)
    errors = [str(p) for p in found if p.severity == "error"]
    assert errors == []
    assert all(p.severity == "warning" for p in found)
    assert len(found) <= 40, "the lint has become noisy:\n" + "\n".join(map(str, found))
