"""One direction of flow: bot.py -> handlers -> {knowledge, reminders, rules, storage} -> common; checked with ast."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "knowledge", "reminders", "rules", "storage", "handlers")
FORBIDDEN = {
    "common": {"knowledge", "rules", "storage", "handlers", "telegram", "durable", "sqlite_utils"},
    "knowledge": {"reminders", "rules", "storage", "handlers", "telegram", "durable", "sqlite_utils"},
    "reminders": {"rules", "storage", "handlers", "telegram", "durable", "sqlite_utils"},
    "rules": {"knowledge", "reminders", "storage", "handlers", "telegram", "sqlite_utils"},
    "storage": {"knowledge", "reminders", "rules", "handlers", "telegram", "durable"},
    "handlers": {"sqlite_utils", "durable"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


MODULES = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_flow(path):
    package = path.relative_to(ROOT).parts[0]
    bad = imported_roots(path) & FORBIDDEN[package]
    if package == "rules" and path.name == "engine.py":
        bad -= {"durable"}
    if package == "handlers" and "telegram" not in path.relative_to(ROOT).parts[:2]:
        bad |= imported_roots(path) & {"telegram"}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_the_engine_imports_durable():
    users = [p.relative_to(ROOT) for p in MODULES if "durable" in imported_roots(p)]
    assert [str(p) for p in users] == ["rules/engine.py"]
