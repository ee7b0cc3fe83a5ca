"""The two guides travel with the code: every bot command, CLI command and setting is documented.

docs/admin-guide.md is for the people who run the bot and maintain the YAML; docs/secretary-guide.md (Chinese)
for the branch secretaries who use it.
"""

import re
from pathlib import Path

import pytest

from bot import parser
from handlers.telegram.app import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ADMIN_GUIDE = (DOCS / "admin-guide.md").read_text(encoding="utf-8")
SECRETARY_GUIDE = (DOCS / "secretary-guide.md").read_text(encoding="utf-8")

#: Commands registered outside COMMANDS' menu order or only when their service is wired (reminders, admin).
EXTRA_COMMANDS = ("remind", "term", "reload", "kb", "versions", "rollback")
#: Commands only bot admins may use: they must be explained in the admin guide.
ADMIN_COMMANDS = ("stats", "reload", "kb", "versions", "rollback")

BOT_COMMANDS = sorted({name for name, _ in COMMANDS} | set(EXTRA_COMMANDS))
CLI_COMMANDS = sorted(parser()._subparsers._group_actions[0].choices)
ENV_VARS = sorted(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))


def mentions_command(text: str, name: str) -> bool:
    """`/name` as a command: not part of a path (docs/kb) or of a longer word (/checks)."""
    return re.search(rf"(?<![\w./])/{re.escape(name)}(?![\w-])", text) is not None


def test_the_lists_are_not_empty():
    assert {"start", "check", "cancel", "stats"} <= set(BOT_COMMANDS)
    assert {"run", "check", "stats", "gaps", "rollback"} <= set(CLI_COMMANDS)
    assert {"TELEGRAM_BOT_TOKEN", "ZHIBU_DB", "ZHIBU_WATCH"} <= set(ENV_VARS)


@pytest.mark.parametrize("name", BOT_COMMANDS)
def test_every_bot_command_is_in_a_guide(name):
    assert mentions_command(ADMIN_GUIDE, name) or mentions_command(SECRETARY_GUIDE, name), f"/{name}"


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
def test_admin_commands_are_in_the_admin_guide(name):
    assert mentions_command(ADMIN_GUIDE, name), f"/{name}"


@pytest.mark.parametrize("name", CLI_COMMANDS)
def test_every_cli_command_is_in_the_admin_guide(name):
    assert re.search(rf"python bot\.py {re.escape(name)}\b", ADMIN_GUIDE), f"python bot.py {name}"


@pytest.mark.parametrize("name", ENV_VARS)
def test_every_setting_is_in_the_admin_guide(name):
    assert re.search(rf"\b{re.escape(name)}\b", ADMIN_GUIDE), name


@pytest.mark.parametrize("guide", ["admin-guide.md", "secretary-guide.md"])
def test_relative_links_point_to_existing_files(guide):
    text = (DOCS / guide).read_text(encoding="utf-8")
    targets = {t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t}
    missing = [t for t in sorted(targets) if t and not (DOCS / t).exists()]
    assert missing == []
