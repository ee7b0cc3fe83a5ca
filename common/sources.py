"""The sources registry (knowledge/sources.yaml) and the citations that entries and policies make of it.

Every answer's source line is rendered here from the registry: the document's full title, its edition and the
article, never an internal name. Knowledge entries and policies both cite `{ref: ID, article: 第N条}` (or a list
of them), so this module lives in `common/`, which `knowledge/` and `rules/` may both import.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from common.problems import InvalidData, Problem
from common.yamlload import Loaded, load_yaml

SOURCES_FILE = "sources.yaml"
STATUSES = ("current", "superseded", "local")
SOURCE_FIELDS = {
    "id": True,
    "title": True,
    "issuer": True,
    "edition": True,
    "status": True,
    "checked": True,
    "number": False,
    "date": False,
    "place": False,
    "note": False,
    "superseded_by": False,
}
CITATION_FIELDS = ("ref", "article", "no_article")


@dataclass(frozen=True)
class Source:
    """One regulation, notice or local document that the YAML may cite."""

    id: str
    title: str
    issuer: str
    edition: str
    status: str
    checked: str
    number: str = ""
    date: str = ""
    place: str = ""
    note: str = ""
    superseded_by: str = ""

    @property
    def local(self) -> bool:
        return self.status == "local"

    def label(self) -> str:
        """《title》（document number, or edition） for national documents, so a secretary can look the document up;
        《title》（place，地方做法） for local ones."""
        title = self.title if self.title.startswith("《") else f"《{self.title}》"
        if self.local:
            return f"{title}（{self.place}，地方做法）"
        suffix = "，已被新版取代" if self.status == "superseded" else ""
        return f"{title}（{self.number or self.edition}{suffix}）"


@dataclass(frozen=True)
class Citation:
    """A reference to a registered source: its id, and the article (or why no article is given)."""

    ref: str
    article: str = ""
    no_article: str = ""


Registry = dict[str, Source]


def parse_sources(doc: Loaded, problems: list[Problem]) -> Registry:
    """Validate {version, sources: [...]} into a registry keyed by id."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        problems.append(doc.problem(("sources",), "expected a mapping with version and sources (a list)"))
        return {}
    for key in data:
        if key not in ("version", "sources"):
            problems.append(doc.problem((key,), "unknown top-level field (expected version and sources)"))
    registry: Registry = {}
    for i, raw in enumerate(data["sources"]):
        path = ("sources", i)
        if not isinstance(raw, dict):
            problems.append(doc.problem(path, "expected a mapping with id, title, issuer, edition, status, checked"))
            continue
        before = len(problems)
        for key in raw:
            if key not in SOURCE_FIELDS:
                problems.append(doc.problem(path + (key,), f"unknown field (known fields: {', '.join(SOURCE_FIELDS)})"))
        values = {}
        for name, required in SOURCE_FIELDS.items():
            value = raw.get(name)
            if value is None:
                if required:
                    problems.append(doc.problem(path + (name,), "required field missing"))
                continue
            if isinstance(value, datetime.date):  # YAML reads 2022-10-22 as a date
                value = value.isoformat()
            if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
                problems.append(doc.problem(path + (name,), "expected text"))
                continue
            values[name] = str(value).strip()
        if len(problems) > before:
            continue
        if values["status"] not in STATUSES:
            problems.append(
                doc.problem(
                    path + ("status",), f"unknown status '{values['status']}' (expected one of {', '.join(STATUSES)})"
                )
            )
        elif values["status"] == "local" and not values.get("place"):
            problems.append(doc.problem(path + ("place",), "a local source must name its place"))
        if values["id"] in registry:
            problems.append(doc.problem(path + ("id",), f"duplicate source id '{values['id']}'"))
        if len(problems) == before:
            registry[values["id"]] = Source(**values)
    for i, source in enumerate(registry.values()):
        if source.superseded_by and source.superseded_by not in registry:
            problems.append(doc.problem(("sources", i, "superseded_by"), f"unknown source id '{source.superseded_by}'"))
    return registry


def load_sources(folder: Path, display: str) -> tuple[Registry, list[Problem]]:
    """Read folder/sources.yaml; a knowledge folder without one is an error (every citation needs it)."""
    path = folder / SOURCES_FILE
    if not path.exists():
        return {}, [Problem(display, 0, "", "the sources registry is missing: every entry cites an id from it")]
    problems: list[Problem] = []
    try:
        registry = parse_sources(load_yaml(path, display), problems)
    except InvalidData as exc:
        return {}, exc.problems
    return registry, problems


def parse_citations(doc: Loaded, path: tuple, raw: object, problems: list[Problem]) -> tuple[Citation, ...] | None:
    """`{ref, article | no_article}` or a list of them; None after recording a problem."""
    items = raw if isinstance(raw, list) else [raw]
    if isinstance(raw, str):
        problems.append(
            doc.problem(
                path,
                "a source names a registry id: {ref: branch_regulations, article: 第四条} "
                "(see knowledge/sources.yaml), not free text",
            )
        )
        return None
    if not items:
        problems.append(doc.problem(path, "expected at least one {ref, article}"))
        return None
    out = []
    for i, item in enumerate(items):
        where = path + (i,) if isinstance(raw, list) else path
        if not isinstance(item, dict) or "ref" not in item:
            problems.append(
                doc.problem(where, "expected a mapping {ref: ID, article: 第N条} or {ref: ID, no_article: why}")
            )
            return None
        unknown = [k for k in item if k not in CITATION_FIELDS]
        if unknown:
            problems.append(
                doc.problem(where + (unknown[0],), f"unknown field (known fields: {', '.join(CITATION_FIELDS)})")
            )
            return None
        values = {}
        for key in CITATION_FIELDS:
            value = item.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                problems.append(doc.problem(where + (key,), "expected text"))
                return None
            values[key] = value.strip()
        if "article" in values and "no_article" in values:
            problems.append(doc.problem(where, "give either article or no_article, not both"))
            return None
        out.append(Citation(**values))
    return tuple(out)


def check_citations(
    citations: tuple[Citation, ...], registry: Registry, *, local_practice: bool, note: str
) -> list[str]:
    """What is wrong with one entry's or policy's citations against the registry (messages, no location)."""
    messages = []
    for c in citations:
        source = registry.get(c.ref)
        if source is None:
            messages.append(f"unknown source id '{c.ref}' (add it to knowledge/sources.yaml)")
            continue
        if source.local and not local_practice:
            messages.append(
                f"'{c.ref}' is a local source ({source.place}): set local_practice: true, "
                "a local practice is never presented as national"
            )
        if not source.local and not c.article and not c.no_article:
            messages.append(f"cite the article of '{c.ref}', or say why not with no_article")
        if source.status == "superseded" and not note:
            messages.append(f"'{c.ref}' is a superseded edition: add a note saying which edition the answer rests on")
    return messages


def render(citations: tuple[Citation, ...], registry: Registry, verified: bool = True) -> str:
    """The user-facing source line: 《title》（edition）article；…  Unverified article numbers are not shown."""
    articles: dict[str, list[str]] = {}  # one part per document, in citation order
    for c in citations:
        if c.ref not in registry:
            continue
        shown = articles.setdefault(c.ref, [])
        if verified and c.article and c.article not in shown:
            shown.append(c.article)
    return "；".join(registry[ref].label() + "、".join(shown) for ref, shown in articles.items())
