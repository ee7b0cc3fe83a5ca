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


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {module_name(p) for p in MODULES}


def project_imports(path: Path) -> set[str]:
    """The project modules a module imports, anywhere in it except under `if TYPE_CHECKING:` (types only).
    `from a import b` counts a.b when that is a module, else a."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    here = module_name(path).split(".")
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .db import x
                package = here if path.name == "__init__.py" else here[:-1]
                stem = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found |= {f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in KNOWN else stem for alias in node.names}
    return (found & KNOWN) - {module_name(path)}


def test_no_import_cycles_between_modules():
    graph = {module_name(p): project_imports(p) for p in MODULES}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles)


ENVIRONMENT_READS = ("os.environ", "os.getenv", "environ.get(", "getenv(")


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "settings.py"] + [ROOT / "bot.py"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_environment_variables_are_read_only_in_the_settings_module(path):
    text = path.read_text(encoding="utf-8")
    assert not [r for r in ENVIRONMENT_READS if r in text], f"{path.relative_to(ROOT)} reads the environment"


MAX_LINES = 450  # "about 400": a module past this is split


@pytest.mark.parametrize("path", MODULES + [ROOT / "bot.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_too_long(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
