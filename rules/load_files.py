"""Load a folder of policy files: the sources registry they cite, each file's policies, then the golden cases.

Split from rules/load.py, which validates one policy; this module reads files and folders.
"""

from __future__ import annotations

from pathlib import Path

from common.problems import InvalidData, Problem
from common.sources import SOURCES_FILE, Registry, load_sources
from common.yamlload import Loaded, load_yaml
from rules.load import TOP_FIELDS, _PolicyReader, _hint
from rules.policy import Policy, PolicySet
from rules.vocab import Vocabulary, default_vocabulary, load_vocabulary

# The registry shipped with this repository: used when the loader is given neither a registry nor a content root
# that has one (rules/ reads knowledge/'s data file, it never imports knowledge/).
BUILTIN_SOURCES = Path(__file__).resolve().parent.parent / "knowledge"


def read_file(
    doc: Loaded, first_seen: dict[str, str], vocab: Vocabulary | None = None, registry: Registry | None = None
) -> tuple[list[Policy], list[Problem]]:
    """Validate one parsed file; the valid policies and every problem. `first_seen`: id -> file:line so far."""
    if registry is None:
        registry, problems = builtin_registry()
        if problems:
            return [], problems
    data, problems = doc.data, []
    if not isinstance(data, dict):
        return [], [doc.problem((), "a policy file is a mapping with `version:` and `policies:`")]
    for key in data:
        if key not in TOP_FIELDS:
            problems.append(
                doc.problem(
                    (key,),
                    f"unknown top-level field '{key}'{_hint(str(key), TOP_FIELDS)}; "
                    "a policy file has version and policies",
                )
            )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        problems.append(
            doc.problem(
                ("version",) if "version" in data else (),
                f"version must be an integer (found {version!r}); bump it on every edit",
            )
        )
    raw = data.get("policies")
    if not isinstance(raw, list):
        problems.append(doc.problem(("policies",) if "policies" in data else (), "policies must be a list"))
        return [], problems
    policies = []
    for i, item in enumerate(raw):
        reader = _PolicyReader(doc, ("policies", i), item, vocab or default_vocabulary(), registry)
        policy = reader.read()
        problems.extend(reader.errors)
        pid = item.get("id") if isinstance(item, dict) else None
        if isinstance(pid, str) and pid in first_seen:
            problems.append(
                doc.problem(("policies", i, "id"), f"duplicate policy id '{pid}' (first defined at {first_seen[pid]})")
            )
            continue
        if isinstance(pid, str):
            first_seen[pid] = f"{doc.file}:{doc.line(('policies', i))}"
        if policy is not None:
            policies.append(policy)
    return policies, problems


def builtin_registry() -> tuple[Registry, list[Problem]]:
    """The sources registry shipped in this repository (knowledge/sources.yaml)."""
    return load_sources(BUILTIN_SOURCES, f"knowledge/{SOURCES_FILE}")


def _registry_for(directory: Path, root: Path | None, display) -> tuple[Registry, list[Problem]]:
    """The registry beside these policies (root/knowledge/sources.yaml), else the shipped one."""
    folder = (Path(root) if root is not None else directory.parent) / "knowledge"
    if (folder / SOURCES_FILE).exists():
        return load_sources(folder, display(folder / SOURCES_FILE))
    return builtin_registry()


def load_policies(
    directory: Path, run_cases: bool = True, root: Path | None = None, fold=None, registry: Registry | None = None
) -> tuple[PolicySet | None, list[Problem]]:
    """Load and validate every `*.yaml` in `directory`; (None, problems) when anything is wrong.

    With `root`, file names in problems are relative to it (rules/dues.yaml); without, they are as given.
    `registry` is the sources registry the policies cite (the content loader passes the knowledge base's);
    without it, root/knowledge/sources.yaml or else the shipped registry is read.
    """
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))

    def display(path: Path) -> str:
        if root is None:
            return str(path)
        try:
            return str(path.resolve().relative_to(Path(root).resolve()))
        except ValueError:
            return str(path)

    if not files:
        return None, [Problem(display(directory), 0, "", "no policy files (*.yaml) found")]
    problems: list[Problem] = []
    if registry is None:
        registry, problems = _registry_for(directory, root, display)
        if any(p.severity == "error" for p in problems):
            return None, problems
    if (directory / "vocabulary").is_dir():  # the content's own facts and topics
        vocab, vocab_problems = load_vocabulary(directory, root)
        problems += vocab_problems
        if vocab is None:
            return None, problems
    else:  # read only when needed: building it costs ~0.06 s of a cold start
        vocab = default_vocabulary()
    valid: list[Policy] = []
    versions: dict[str, int] = {}
    first_seen: dict[str, str] = {}
    for path in files:
        try:
            doc = load_yaml(path, display(path))
        except InvalidData as exc:
            problems.extend(exc.problems)
            continue
        policies, found = read_file(doc, first_seen, vocab, registry)
        problems.extend(found)
        valid.extend(policies)
        if isinstance(doc.data, dict) and isinstance(doc.data.get("version"), int):
            versions[doc.file] = doc.data["version"]
    if run_cases and valid:
        from rules.engine import Engine  # the engine runs the golden cases; imported late to keep load light

        engine = Engine(PolicySet(tuple(valid), dict(versions), vocab), version="check", fold=fold)
        try:
            problems.extend(engine.run_golden_cases())
        finally:
            engine.close()
    if any(p.severity == "error" for p in problems):
        return None, problems
    return PolicySet(tuple(valid), versions, vocab), problems
