"""docs/operations.md documents every column of the schema and every environment variable.

(Import boundaries are checked for all packages in tests/test_architecture.py.)
"""

import re
from pathlib import Path

import pytest

from storage import FEEDBACK_COLUMNS, QUERY_COLUMNS

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


@pytest.mark.parametrize(
    "table, column",
    [("queries", c) for c in QUERY_COLUMNS] + [("feedback", c) for c in FEEDBACK_COLUMNS],
)
def test_every_column_is_documented(table, column):
    text = DOC.read_text(encoding="utf-8")
    section = re.search(rf"### `{table}`\n(.*?)(?=\n### |\n## |\Z)", text, re.S)
    assert section, f"docs/operations.md has no '### `{table}`' section"
    assert f"| `{column}` |" in section.group(1), f"column {table}.{column} is not in its table in {DOC.name}"


@pytest.mark.parametrize("name", ["ZHIBU_DB", "ZHIBU_SALT", "ZHIBU_RETENTION_DAYS"])
def test_every_env_var_is_documented(name):
    assert f"`{name}`" in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "command",
    [
        "python bot.py stats [--days N] [--json]",
        "python bot.py gaps [--days N]",
        "python bot.py export --since DATE --format csv|jsonl",
        "python bot.py purge --older-than DAYS",
    ],
)
def test_every_command_is_documented(command):
    assert command in DOC.read_text(encoding="utf-8")
