"""The policy loader: located, actionable problems (`file:line: path: message`) for malformed policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import load_policies

BASE = """\
version: 1
policies:
  - id: t.too_few
    topic: branch_formation
    needs:
      full_members: 几名正式党员？
    compute:
      shortfall: {sub: [3, full_members]}
    when:
      full_members: {lt: 3}
    priority: 90
    outcome: fail
    message: 只有{full_members}名，差{shortfall}名
    flip: 再有{flip_by}名即可
    source: {ref: branch_regulations, article: 第四条}
    verified: true
    cases:
      - facts: {full_members: 2}
        expect: fail
      - facts: {full_members: 3}
        expect: none
"""

SECOND = """\
version: 1
policies:
  - id: t.enough
    topic: branch_formation
    needs:
      full_members: 几名正式党员？
    when:
      full_members: {gte: 3}
    priority: 50
    outcome: pass
    message: 可以
    source: {ref: branch_regulations, article: 第四条}
    verified: true
    cases:
      - facts: {full_members: 3}
        expect: pass
"""


def write(tmp_path: Path, text: str, name: str = "a.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def load(tmp_path: Path) -> tuple[object, list[str]]:
    policies, problems = load_policies(tmp_path)
    return policies, [str(p) for p in problems]


def test_base_fixture_is_valid(tmp_path):
    write(tmp_path, BASE)
    write(tmp_path, SECOND, "b.yaml")
    policies, problems = load(tmp_path)
    assert problems == []
    assert [p.id for p in policies.policies] == ["t.too_few", "t.enough"]
    assert policies.versions == {str(tmp_path / "a.yaml"): 1, str(tmp_path / "b.yaml"): 1}


# (name, old text, new text, expected message after "file:")
BROKEN = [
    (
        "unknown operator",
        "full_members: {lt: 3}",
        "full_members: {less: 3}",
        "10: policies[0].when.full_members.less: unknown operator 'less' (did you mean 'lt'?); "
        "use one of lt, lte, gt, gte, eq, ne, in, between, exists",
    ),
    (
        "unknown fact in when",
        "      full_members: {lt: 3}",
        "      full_member: {lt: 3}",
        "10: policies[0].when.full_member: unknown fact 'full_member' (did you mean 'full_members'?); "
        "use a fact from rules/vocabulary/facts.yaml or a name defined under `compute`",
    ),
    (
        "unknown fact in needs",
        "      full_members: 几名",
        "      fullmembers: 几名",
        "6: policies[0].needs.fullmembers: unknown fact 'fullmembers' (did you mean 'full_members'?); "
        "use a fact from rules/vocabulary/facts.yaml or a name defined under `compute`",
    ),
    (
        "fact used but not needed",
        "      full_members: {lt: 3}",
        "      full_members: {lt: 3}\n      units: {gt: 1}",
        "11: policies[0].when.units: fact 'units' is used but not listed in `needs`; add it there with a Chinese prompt",
    ),
    (
        "missing priority",
        "    priority: 90\n",
        "",
        "3: policies[0]: missing required field 'priority' (an integer; verdicts are listed highest priority first)",
    ),
    (
        "unknown topic",
        "topic: branch_formation",
        "topic: branch_setup",
        "4: policies[0].topic: unknown topic 'branch_setup'; use one of branch_formation, application, activist, "
        "candidate, branch_vote, probation, election, dues, org_life, membership_status, required_visit, weak_org",
    ),
    (
        "bad placeholder",
        "差{shortfall}名",
        "差{short}名",
        "13: policies[0].message: unknown placeholder {short} (did you mean 'shortfall'?); "
        "use a fact from `needs`, a computed name or {today}",
    ),
    (
        "bad flip placeholder",
        "再有{flip_by}名",
        "再有{flip_bye}名",
        "14: policies[0].flip: unknown placeholder {flip_bye} (did you mean 'flip_by'?); "
        "use a fact from `needs`, a computed name, {today}, {flip_by} or {flip_to}",
    ),
    (
        "failing golden case",
        "      - facts: {full_members: 3}\n        expect: none",
        "      - facts: {full_members: 3}\n        expect: fail",
        "20: policies[0].cases[1]: golden case failed: expected fail, got none; verdicts fired: none",
    ),
    (
        "invalid outcome",
        "outcome: fail",
        "outcome: failed",
        "12: policies[0].outcome: invalid outcome 'failed'; use one of pass, fail, warn, info",
    ),
    (
        "missing outcome",
        "    outcome: fail\n",
        "",
        "3: policies[0]: missing required field 'outcome' (one of pass, fail, warn, info)",
    ),
    (
        "empty when",
        "      full_members: {lt: 3}\n",
        "",
        "9: policies[0].when: when is empty: give at least one condition, e.g. full_members: {lt: 3}",
    ),
    (
        "unknown policy field",
        "    verified: true\n",
        "    verified: true\n    verfied: true\n",
        "17: policies[0].verfied: unknown field 'verfied' (did you mean 'verified'?)",
    ),
    (
        "unknown top-level field",
        "version: 1\n",
        "version: 1\nversoin: 2\n",
        "2: versoin: unknown top-level field 'versoin' (did you mean 'version'?); a policy file has version and policies",
    ),
    (
        "wrong operand type",
        "full_members: {lt: 3}",
        "full_members: {lt: [3]}",
        "10: policies[0].when.full_members.lt: wrong operand type for lt on 'full_members' (number): expected a number "
        "or the name of a number (a fact, a computed value or today), found list [3]",
    ),
    (
        "wrong operand type, text",
        "full_members: {lt: 3}",
        "full_members: {lt: 三}",
        "10: policies[0].when.full_members.lt: wrong operand type for lt on 'full_members' (number): expected a number "
        "or the name of a number (a fact, a computed value or today), found text '三'",
    ),
    (
        "unknown compute operator",
        "{sub: [3, full_members]}",
        "{minus: [3, full_members]}",
        "8: policies[0].compute.shortfall.minus: unknown operator 'minus' (did you mean 'sub'?); use one of add_days, add_months, add_years, "
        "period_start, period_end, days_between, months_between, add, sub, mul, div, ratio, percent, ceil, floor, half_plus_one, more_than, "
        "min, max",
    ),
    (
        "compute argument type",
        "{sub: [3, full_members]}",
        "{add_years: [3, full_members]}",
        "8: policies[0].compute.shortfall.add_years[0]: add_years expects a date as argument 1, found number 3",
    ),
    (
        "flip on a pass",
        "outcome: fail",
        "outcome: pass",
        "14: policies[0].flip: flip is only for outcome: fail (it says the smallest change that makes it pass)",
    ),
    (
        "case expecting another outcome",
        "        expect: fail",
        "        expect: warn",
        "19: policies[0].cases[0].expect: expect 'warn' but this policy's outcome is 'fail'",
    ),
    (
        "priority not an integer",
        "priority: 90",
        "priority: high",
        "11: policies[0].priority: priority must be an integer, found text 'high'",
    ),
    # citations of the sources registry (knowledge/sources.yaml): the same rules as knowledge entries
    (
        "free-text source",
        "{ref: branch_regulations, article: 第四条}",
        "《中国共产党支部工作条例（试行）》第四条",
        "15: policies[0].source: a source names a registry id: {ref: branch_regulations, article: 第四条} "
        "(see knowledge/sources.yaml), not free text",
    ),
    (
        "unknown source id",
        "ref: branch_regulations",
        "ref: branch_rules",
        "15: policies[0].source: unknown source id 'branch_rules' (add it to knowledge/sources.yaml)",
    ),
    (
        "national citation without article",
        "{ref: branch_regulations, article: 第四条}",
        "{ref: branch_regulations}",
        "15: policies[0].source: cite the article of 'branch_regulations', or say why not with no_article",
    ),
    (
        "article and no_article",
        "article: 第四条}",
        "article: 第四条, no_article: 未核对}",
        "15: policies[0].source: give either article or no_article, not both",
    ),
    (
        "unknown citation field",
        "article: 第四条}",
        "article: 第四条, page: 3}",
        "15: policies[0].source.page: unknown field (known fields: ref, article, no_article)",
    ),
    (
        "superseded edition without note",
        "ref: branch_regulations",
        "ref: admission_rules_2014",
        "15: policies[0].source: 'admission_rules_2014' is a superseded edition: add a note saying which edition "
        "the answer rests on",
    ),
    (
        "local source presented as national",
        "{ref: branch_regulations, article: 第四条}",
        "{ref: local_jiangjin}",
        "15: policies[0].source: 'local_jiangjin' is a local source (重庆市江津区): set local_practice: true, "
        "a local practice is never presented as national",
    ),
    (
        "second citation of a list",
        "    source: {ref: branch_regulations, article: 第四条}\n",
        "    source:\n      - {ref: branch_regulations, article: 第四条}\n      - {ref: party_constitution}\n",
        "17: policies[0].source[1]: cite the article of 'party_constitution', or say why not with no_article",
    ),
]


@pytest.mark.parametrize("old,new,expected", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_located_problem(tmp_path, old, new, expected):
    assert old in BASE
    file = write(tmp_path, BASE.replace(old, new, 1))
    policies, problems = load(tmp_path)
    assert policies is None
    assert f"{file}:{expected}" in problems, problems


def test_duplicate_id_across_files(tmp_path):
    first = write(tmp_path, BASE)
    second = write(tmp_path, SECOND.replace("t.enough", "t.too_few"), "b.yaml")
    policies, problems = load(tmp_path)
    assert policies is None
    assert problems == [f"{second}:3: policies[0].id: duplicate policy id 't.too_few' (first defined at {first}:3)"]


def test_case_needs_today_when_policy_uses_dates(tmp_path):
    text = BASE.replace(
        "    compute:\n      shortfall: {sub: [3, full_members]}\n",
        "    compute:\n      shortfall: {sub: [3, full_members]}\n      soon: {add_days: [today, 3]}\n",
    )
    file = write(tmp_path, text)
    _, problems = load(tmp_path)
    assert (
        f"{file}:19: policies[0].cases[0]: this policy uses dates: give the case a `today: YYYY-MM-DD` "
        "so it does not depend on the day it runs"
    ) in problems


def test_no_case_shows_the_policy_firing(tmp_path):
    file = write(tmp_path, BASE.replace("        expect: fail", "        expect: none"))
    _, problems = load(tmp_path)
    assert f"{file}:18: policies[0].cases: no case shows this policy firing: add one with `expect: fail`" in problems


def test_a_failing_policy_is_never_compiled(tmp_path):
    # a.yaml's policy is invalid, so it is not compiled: b.yaml's case with 2 members fires nothing.
    first = write(tmp_path, BASE.replace("{lt: 3}", "{less: 3}"))
    second = write(tmp_path, SECOND + "      - facts: {full_members: 2}\n        expect: pass\n", "b.yaml")
    policies, problems = load(tmp_path)
    assert policies is None
    assert problems == [
        f"{first}:10: policies[0].when.full_members.less: unknown operator 'less' (did you mean 'lt'?); "
        "use one of lt, lte, gt, gte, eq, ne, in, between, exists",
        f"{second}:17: policies[0].cases[1]: golden case failed: expected pass, got none; verdicts fired: none",
    ]


def test_yaml_syntax_error_is_located(tmp_path):
    file = write(tmp_path, BASE.replace("full_members: {lt: 3}", "full_members: {lt: 3"))
    policies, problems = load(tmp_path)
    assert policies is None
    assert len(problems) == 1 and problems[0].startswith(f"{file}:") and "YAML syntax error" in problems[0]


def test_empty_directory(tmp_path):
    policies, problems = load(tmp_path)
    assert policies is None
    assert problems == [f"{tmp_path}: no policy files (*.yaml) found"]


@pytest.mark.parametrize(
    "condition,expected",
    [
        (
            "org_type: {eq: 乡}",
            "wrong operand type for eq on 'org_type' (choice): expected one of 村, 社区, 机关, 企业, 学校, 其他",
        ),
        (
            "org_type: {lt: 村}",
            "wrong operand type for lt on 'org_type' (choice): expected eq, ne or in (a choice has no order)",
        ),
        ("retired: {gt: true}", "wrong operand type for gt on 'retired' (bool): expected eq or ne with true / false"),
        ("units: {between: [7, 3]}", "between [7, 3]: the low end is above the high end"),
        ("units: {in: []}", "wrong operand type for in on 'units' (number): expected a non-empty list of numbers"),
        ("units: {exists: 1}", "wrong operand type for exists on 'units' (number): expected true or false"),
        (
            "units: {gt: full_members, lt: application_date}",
            "wrong operand type for lt on 'units' (number): expected a number or the name of a number",
        ),
    ],
)
def test_operand_checks(tmp_path, condition, expected):
    text = BASE.replace("      full_members: {lt: 3}", "      full_members: {lt: 3}\n      " + condition)
    text = text.replace(
        "      full_members: 几名正式党员？",
        "      full_members: 几名正式党员？\n      org_type: 类型？\n      retired: 退休？\n      units: 几个单位？",
    )
    write(tmp_path, text)
    policies, problems = load(tmp_path)
    assert policies is None
    assert len(problems) == 1 and expected in problems[0], problems


# (source and flags, the source line a verdict shows, the note it shows)
SOURCE_LINES = [
    (
        "    source: {ref: branch_regulations, article: 第四条}\n    verified: true\n",
        "《中国共产党支部工作条例（试行）》（2018年）第四条",
        "",
    ),
    (
        "    source: {ref: branch_regulations, article: 第四条}\n    verified: false\n",  # unchecked number: left out
        "《中国共产党支部工作条例（试行）》（2018年）",
        "",
    ),
    (
        "    source: {ref: branch_regulations, no_article: 第六章条款序号未能核对}\n    verified: true\n",
        "《中国共产党支部工作条例（试行）》（2018年）",
        "",
    ),
    (
        "    source: {ref: admission_rules_2014, article: 第十四条}\n    verified: true\n    note: 依据2014年版\n",
        "《中国共产党发展党员工作细则》（中办发〔2014〕34号，已被新版取代）第十四条",
        "依据2014年版",
    ),
    (
        "    source: {ref: local_jiangjin}\n    verified: true\n    local_practice: true\n",
        "《围绕城乡统筹抓党建 探索建立城乡统筹机关党建新格局（江津部分）》（重庆市江津区，地方做法）",
        "",
    ),
    (
        "    source:\n      - {ref: branch_regulations, article: 第四条}\n      - {ref: party_constitution, article: 第三十条}\n"
        "    verified: true\n",
        "《中国共产党支部工作条例（试行）》（2018年）第四条；《中国共产党章程》（2022年）第三十条",
        "",
    ),
    (
        "    source:\n      - {ref: branch_regulations, article: 第五条}\n      - {ref: branch_regulations, no_article: 未核对}\n"
        "    verified: true\n",
        "《中国共产党支部工作条例（试行）》（2018年）第五条",
        "",
    ),  # one document, one part
]


@pytest.mark.parametrize("source, line, note", SOURCE_LINES)
def test_verdict_source_line_is_rendered_from_the_registry(tmp_path, source, line, note):
    from common.sources import load_sources

    registry, _ = load_sources(Path(__file__).resolve().parent.parent / "knowledge", "sources.yaml")
    expected = (
        line.replace("（2018年）", f"（{registry['branch_regulations'].edition}）")
        .replace("（2022年）", f"（{registry['party_constitution'].edition}）")
        .replace("（2014年版，", f"（{registry['admission_rules_2014'].edition}，")
    )
    write(
        tmp_path, BASE.replace("    source: {ref: branch_regulations, article: 第四条}\n    verified: true\n", source)
    )
    policies, problems = load(tmp_path)
    assert problems == []
    policy = policies.get("t.too_few")
    assert (policy.source, policy.note) == (expected, note)
    assert "待核实" not in policy.source


DOC = Path(__file__).resolve().parent.parent / "docs" / "policy-format.md"


def test_every_field_and_operator_is_documented():
    from rules.compute import OPERATORS
    from rules.load import CASE_FIELDS, OPTIONAL, REQUIRED
    from rules.policy import CONDITION_OPERATORS

    text = DOC.read_text(encoding="utf-8")
    for name in list(REQUIRED) + list(OPTIONAL) + list(CASE_FIELDS) + list(CONDITION_OPERATORS) + list(OPERATORS):
        assert f"`{name}`" in text, f"{name} is not documented in docs/policy-format.md"


def test_the_documented_example_is_valid(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    write(tmp_path, example)
    policies, problems = load(tmp_path)
    assert problems == []
    assert [p.id for p in policies.policies] == ["election.too_few_candidates"]
