"""Load and validate the knowledge base folder into a KnowledgeBase."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.problems import InvalidData, Problem
from common.sources import SOURCES_FILE, Registry, check_citations, load_sources, render
from common.yamlload import Loaded, load_yaml, parse_yaml, read_limited
from knowledge.schema import Entry, parse_entries_file
from knowledge.scope import SCOPE_FILE, Scope, load_scope

SYNONYMS_FILE = "synonyms.yaml"
CATEGORIES_FILE = "categories.yaml"
CATEGORY_FIELDS = ("name", "description")
SPECIAL_FILES = {SYNONYMS_FILE, "reminders.yaml", "scope.yaml", SOURCES_FILE, CATEGORIES_FILE, "holidays.yaml"}


@dataclass(frozen=True)
class Categories:
    """The entry categories in menu order, and the org-type tags an entry may carry (knowledge/categories.yaml)."""

    names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    """Validated entries and synonym groups; `version` is a content hash of the files."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...]
    version: str
    files: tuple[str, ...] = ()
    scope: Scope = Scope()
    categories: Categories = Categories()
    sources: Registry = field(default_factory=dict, compare=False, repr=False)
    by_id: dict[str, Entry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({e.id: e for e in self.entries})


def entry_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.name not in SPECIAL_FILES)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def parse_synonyms(doc: Loaded, problems: list[Problem]) -> list[tuple[str, ...]]:
    """Validate {version, groups: [[canonical, variant, …], …]}; a term may belong to one group only."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        problems.append(doc.problem(("groups",), "expected a mapping with version and groups (a list of term lists)"))
        return []
    for key in data:
        if key not in ("version", "groups"):
            problems.append(doc.problem((key,), "unknown top-level field (expected version and groups)"))
    groups, owner = [], {}
    for i, group in enumerate(data["groups"]):
        path = ("groups", i)
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(t, str) and t.strip() for t in group):
            problems.append(doc.problem(path, "expected a list of at least two terms (text)"))
            continue
        terms = tuple(t.strip() for t in group)
        for j, term in enumerate(terms):
            if len(term) < 2:
                problems.append(doc.problem(path + (j,), f"term '{term}' is too short (at least 2 characters)"))
            elif term in owner and owner[term] != i:
                problems.append(
                    doc.problem(
                        path + (j,),
                        f"term '{term}' is already in groups[{owner[term]}]: a term may map to one meaning only",
                    )
                )
            owner.setdefault(term, i)
        groups.append(terms)
    return groups


def load_knowledge(folder: Path, root: Path | None = None) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load every entry file and synonyms.yaml; return (None, problems) if anything is invalid."""
    root = root or folder.parent
    problems: list[Problem] = []
    entries: list[Entry] = []
    digest = hashlib.sha256()
    files = entry_files(folder)
    if not files:
        problems.append(Problem(_display(folder, root), 0, "", "no knowledge files (*.yaml) found"))
    for path in files:
        display = _display(path, root)
        try:
            raw = read_limited(path, display)
            file_entries, file_problems = _entries_of(raw, display)
        except InvalidData as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(file_problems)
        digest.update(path.name.encode() + b"\0" + raw)
        entries.extend(file_entries)
    synonyms: list[tuple[str, ...]] = []
    syn_path = folder / SYNONYMS_FILE
    if syn_path.exists():
        try:
            doc = load_yaml(syn_path, _display(syn_path, root))
            synonyms = parse_synonyms(doc, problems)
            digest.update(syn_path.read_bytes())
        except InvalidData as exc:
            problems.extend(exc.problems)
    scope, scope_problems = load_scope(folder, _display(folder / SCOPE_FILE, root))
    problems.extend(scope_problems)
    registry, source_problems = load_sources(folder, _display(folder / SOURCES_FILE, root))
    problems.extend(source_problems)
    categories = _load_categories(folder, _display(folder / CATEGORIES_FILE, root), problems)
    for name in (SCOPE_FILE, SOURCES_FILE, CATEGORIES_FILE):
        if (folder / name).exists():
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    problems.extend(cross_check(entries))
    if registry:
        entries, resolve_problems = resolve(entries, registry, categories)
        problems.extend(resolve_problems)
    if any(p.severity == "error" for p in problems):
        return None, problems
    kb = KnowledgeBase(
        tuple(entries),
        tuple(synonyms),
        digest.hexdigest()[:12],
        tuple(_display(p, root) for p in files),
        scope,
        categories,
        registry,
    )
    return kb, problems


def _load_categories(folder: Path, display: str, problems: list[Problem]) -> Categories:
    """Read {version, categories: [{name, description}], tags: [...]}; missing file = an error."""
    path = folder / CATEGORIES_FILE
    if not path.exists():
        problems.append(Problem(display, 0, "", "the category list is missing: every entry names a category from it"))
        return Categories()
    try:
        doc = load_yaml(path, display)
    except InvalidData as exc:
        problems.extend(exc.problems)
        return Categories()
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        problems.append(doc.problem(("categories",), "expected a mapping with version, categories and tags"))
        return Categories()
    for key in data:
        if key not in ("version", "categories", "tags"):
            problems.append(doc.problem((key,), "unknown top-level field (expected version, categories and tags)"))
    names = []
    for i, item in enumerate(data["categories"]):
        for key in item if isinstance(item, dict) else ():
            if key not in CATEGORY_FIELDS:
                problems.append(doc.problem(("categories", i, key), "unknown field (expected name and description)"))
        if (
            isinstance(item, dict)
            and "description" in item
            and (not isinstance(item["description"], str) or not item["description"].strip())
        ):
            problems.append(doc.problem(("categories", i, "description"), "expected text"))
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            problems.append(doc.problem(("categories", i), "expected {name: 类别, description: …}"))
        elif item["name"].strip() in names:
            problems.append(doc.problem(("categories", i, "name"), f"duplicate category '{item['name']}'"))
        else:
            names.append(item["name"].strip())
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(doc.problem(("tags",), "expected a list of org types (text)"))
        tags = []
    return Categories(tuple(names), tuple(t.strip() for t in tags))


def resolve(entries: list[Entry], registry: Registry, categories: Categories) -> tuple[list[Entry], list[Problem]]:
    """Check each entry's category, tags and citations against the data files; render its source line."""
    problems, out = [], []
    for e in entries:
        where = (e.file, e.line)
        if e.category not in categories.names:
            problems.append(
                Problem(
                    *where,
                    f"{e.id}.category",
                    f"unknown category '{e.category}' "
                    f"(expected one of {', '.join(categories.names)}; categories live in knowledge/{CATEGORIES_FILE})",
                )
            )
        for tag in e.tags:
            if tag not in categories.tags:
                problems.append(
                    Problem(
                        *where, f"{e.id}.tags", f"unknown tag '{tag}' (expected one of {', '.join(categories.tags)})"
                    )
                )
        for message in check_citations(e.citations, registry, local_practice=e.local_practice, note=e.note):
            problems.append(Problem(*where, f"{e.id}.source", message))
        out.append(replace(e, source=render(e.citations, registry, e.verified)))
    return out, problems


# Parsed entry files by (shown name, content hash). A reload re-reads every file but usually only one has
# changed: at 10,000 entries, parsing and validating the unchanged YAML again was most of the load time.
# Entries and Problems are frozen, and both are a pure function of the name and the bytes.
FILE_MEMO = 64
_file_memo: OrderedDict[tuple[str, bytes], tuple[tuple[Entry, ...], tuple[Problem, ...]]] = OrderedDict()
_file_memo_lock = threading.Lock()


def _entries_of(raw: bytes, display: str) -> tuple[tuple[Entry, ...], tuple[Problem, ...]]:
    """parse_entries_file(parse_yaml(raw)) for one file, remembered (InvalidData is raised, not kept)."""
    key = (display, hashlib.sha256(raw).digest())
    with _file_memo_lock:
        if key in _file_memo:
            _file_memo.move_to_end(key)
            return _file_memo[key]
    problems: list[Problem] = []
    result = tuple(parse_entries_file(parse_yaml(raw, display), problems)), tuple(problems)
    with _file_memo_lock:
        _file_memo[key] = result
        while len(_file_memo) > FILE_MEMO:
            _file_memo.popitem(last=False)
    return result


def cross_check(entries: list[Entry]) -> list[Problem]:
    """Duplicate ids and `related` ids that do not exist."""
    problems, seen = [], {}
    for e in entries:
        if e.id in seen:
            first = seen[e.id]
            problems.append(
                Problem(e.file, e.line, f"id {e.id}", f"duplicate id (first defined at {first.file}:{first.line})")
            )
        else:
            seen[e.id] = e
    for e in entries:
        for rel in e.related:
            if rel not in seen:
                problems.append(Problem(e.file, e.line, f"{e.id}.related", f"unknown entry id '{rel}'"))
            elif rel == e.id:
                problems.append(Problem(e.file, e.line, f"{e.id}.related", "an entry cannot relate to itself"))
    return problems
