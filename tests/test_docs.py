"""Docs travel with code: every fact, CLI command and entry field is documented."""

from pathlib import Path

import pytest

from bot import parser
from common.settings import ENV_VARS
from knowledge.schema import ENTRY_FIELDS
from rules.vocab import default_vocabulary

FACTS = default_vocabulary().facts
TOPICS = {name: t.facts for name, t in default_vocabulary().topics.items()}

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = (DOCS.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("topic, fact", [(t, f) for t, facts in TOPICS.items() for f in facts])
def test_every_fact_is_documented_for_admins(topic, fact):
    assert f"| `{topic}` (" in (DOCS / "policy-format.md").read_text(encoding="utf-8")
    assert f"| `{fact}` |" in (DOCS / "policy-format.md").read_text(encoding="utf-8")


def test_every_fact_belongs_to_a_topic():
    assert set(FACTS) == {f for facts in TOPICS.values() for f in facts}


def test_every_cli_command_is_in_the_readme():
    commands = parser()._subparsers._group_actions[0].choices
    missing = [name for name in commands if f"python bot.py {name}" not in README]
    assert missing == []


@pytest.mark.parametrize("field", list(ENTRY_FIELDS))
def test_every_entry_field_is_documented(field):
    assert f"| `{field}` |" in (DOCS / "knowledge-format.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(ENV_VARS))
def test_every_environment_variable_is_in_the_readme_and_env_example(name):
    assert f"`{name}`" in README
    assert f"\n{name}=" in (DOCS.parent / ".env.example").read_text(encoding="utf-8")


def test_the_readme_documents_no_variable_the_bot_does_not_read():
    import re

    documented = set(re.findall(r"\| `((?:ZHIBU|TELEGRAM)_[A-Z_]+)`", README))
    documented |= set(re.findall(r"`, `((?:ZHIBU|TELEGRAM)_[A-Z_]+)` \|", README))
    assert documented <= set(ENV_VARS)
