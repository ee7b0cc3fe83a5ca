"""The JSON Schemas of the policy and vocabulary YAML agree with `bot.py check` (rules/schemas.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jsonschema
import pytest
import yaml

from rules import load_policies
from rules.schemas import DIRECTORY, SCHEMAS, policy_schema, render, vocabulary_schema
from rules.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


def _jsonable(value):
    """As the YAML language server sees a file: dates are strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def schema_errors(schema: dict, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(_jsonable(yaml.safe_load(text)))]


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_committed_schema_files_are_current(name):
    assert (DIRECTORY / name).read_text(encoding="utf-8") == render(name), "run: python -m rules.schemas"


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_schemas_are_valid_json_schemas(name):
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name]())


@pytest.mark.parametrize("path", sorted(RULES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_policy_file_validates(path):
    assert schema_errors(policy_schema(), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted((RULES / "vocabulary").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_vocabulary_file_validates(path):
    assert schema_errors(vocabulary_schema(), path.read_text(encoding="utf-8")) == []


GOOD_POLICY = """\
version: 1
policies:
  - id: branch_formation.example
    topic: branch_formation
    needs:
      full_members: 请问有几名正式党员？
    when:
      full_members: {lt: 3}
    priority: 10
    outcome: fail
    message: 不足3名。
    source: {ref: branch_regulations, article: 第四条}
    verified: false
    cases:
      - facts: {full_members: 2}
        expect: fail
    text_cases:
      - text: 我们只有2名正式党员，能成立支部吗
        expect: fail
"""

# (what is broken, the text replaced, its replacement)
BROKEN_POLICIES = [
    ("unknown field", "    verified: false\n", "    verified: false\n    verfied: true\n"),
    ("missing required field", "    source: {ref: branch_regulations, article: 第四条}\n", ""),
    ("free-text source", "{ref: branch_regulations, article: 第四条}", "条例第四条"),
    ("citation with an unknown field", "article: 第四条}", "article: 第四条, page: 3}"),
    ("bad outcome", "outcome: fail", "outcome: failed"),
    ("unknown operator", "{lt: 3}", "{less: 3}"),
    ("bad id", "id: branch_formation.example", "id: Example"),
    ("bad expect", "        expect: fail\n    text_cases", "        expect: maybe\n    text_cases"),
    ("text case without text", "      - text: 我们只有2名正式党员，能成立支部吗\n", "      - says: x\n"),
    ("priority not an integer", "priority: 10", "priority: high"),
    ("unknown top-level field", "version: 1\n", "version: 1\nversoin: 2\n"),
]


def test_a_good_policy_passes_both(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD_POLICY, encoding="utf-8")
    policies, problems = load_policies(tmp_path)
    assert problems == [] and schema_errors(policy_schema(), GOOD_POLICY) == []


@pytest.mark.parametrize("what, old, new", BROKEN_POLICIES, ids=[b[0] for b in BROKEN_POLICIES])
def test_a_broken_policy_is_refused_by_both(tmp_path, what, old, new):
    assert old in GOOD_POLICY
    text = GOOD_POLICY.replace(old, new, 1)
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    policies, problems = load_policies(tmp_path)
    assert policies is None and problems, what
    assert schema_errors(policy_schema(), text), what


GOOD_VOCABULARY = """\
version: 1
facts:
  rooms:
    type: count
    label: 活动室
    unit: 间
    read: {patterns: ['活动室{FILLER}(?P<n>{NUM})\\\\s*间']}
  stay:
    type: duration
    measure: months
    label: 驻村时间
    unit: 个月
checks:
  - {facts: [rooms], at_most: rooms, message: '…'}
topics:
  rooms_check:
    label: 活动场所
    facts: [rooms, stay]
    phrases: '活动室'
"""

BROKEN_VOCABULARY = [
    ("unknown type", "type: count", "type: number"),
    ("missing label", "    label: 活动室\n", ""),
    ("unknown read field", "read: {patterns:", "read: {pattern:"),
    ("duration without measure", "    measure: months\n", ""),
    ("check without a comparison", "at_most: rooms, ", ""),
    ("topic without phrases", "    phrases: '活动室'\n", ""),
    ("unknown fact field", "    unit: 间\n", "    unit: 间\n    units: 间\n"),
]


def _load_vocabulary(tmp_path: Path, text: str):
    (tmp_path / "vocabulary").mkdir(exist_ok=True)
    (tmp_path / "vocabulary" / "facts.yaml").write_text(text, encoding="utf-8")
    return load_vocabulary(tmp_path)


def test_a_good_vocabulary_passes_both(tmp_path):
    vocab, problems = _load_vocabulary(tmp_path, GOOD_VOCABULARY)
    assert problems == [] and vocab is not None
    assert schema_errors(vocabulary_schema(), GOOD_VOCABULARY) == []


@pytest.mark.parametrize("what, old, new", BROKEN_VOCABULARY, ids=[b[0] for b in BROKEN_VOCABULARY])
def test_a_broken_vocabulary_is_refused_by_both(tmp_path, what, old, new):
    assert old in GOOD_VOCABULARY
    text = GOOD_VOCABULARY.replace(old, new, 1)
    vocab, problems = _load_vocabulary(tmp_path, text)
    assert vocab is None and problems, what
    assert schema_errors(vocabulary_schema(), text), what
