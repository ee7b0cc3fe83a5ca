"""The sources registry travels with what cites it and with docs/regulations.md.

Every registered document is cited by some entry or policy (or says in its `note` why it is kept uncited), and the
regulation reference names every registry id, has no section for an id the registry lacks, and closes every audit
item. Neither the knowledge base nor the docs point at the external fact sheet any more.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from common.sources import Registry, Source, load_sources
from knowledge.load import load_knowledge
from tests.conftest import ROOT

DOC = ROOT / "docs" / "regulations.md"
UNCITED_MARK = "未被引用"  # a registry `note` containing this keeps an uncited source on purpose
AUDIT_ITEMS = [f"A{i}" for i in range(1, 7)] + [f"B{i}" for i in range(1, 19)]


def policy_refs(rules_dir: Path) -> set[str]:
    """Registry ids cited by policies: `source: {ref: ID, ...}` or a list of such mappings."""
    refs: set[str] = set()
    for path in sorted(rules_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for policy in data.get("policies", []) if isinstance(data, dict) else []:
            source = policy.get("source") if isinstance(policy, dict) else None
            for item in source if isinstance(source, list) else [source]:
                if isinstance(item, dict) and isinstance(item.get("ref"), str):
                    refs.add(item["ref"])
    return refs


def unaccounted(registry: Registry, cited: set[str]) -> list[str]:
    """Registry ids nothing cites and whose note does not say they are kept uncited on purpose."""
    return [sid for sid, source in registry.items() if sid not in cited and UNCITED_MARK not in source.note]


def source(sid: str, note: str = "") -> Source:
    return Source(
        id=sid, title="标题", issuer="中共中央", edition="2020年", status="current", checked="全文", note=note
    )


@pytest.mark.parametrize(
    "registry, cited, expected",
    [
        ({"a": source("a"), "b": source("b")}, {"a", "b"}, []),
        ({"a": source("a"), "b": source("b")}, {"a"}, ["b"]),
        ({"a": source("a"), "b": source("b", note=f"{UNCITED_MARK}：留作核对2026年细则的底本")}, {"a"}, []),
        ({"a": source("a", note="只是一条说明")}, set(), ["a"]),  # an ordinary note does not excuse a dead source
        ({}, {"x"}, []),
    ],
)
def test_unaccounted_sources_are_found(registry, cited, expected):
    assert unaccounted(registry, cited) == expected


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry, problems = load_sources(ROOT / "knowledge", "knowledge/sources.yaml")
    assert problems == [], "\n".join(map(str, problems))
    return registry


@pytest.fixture(scope="module")
def cited() -> set[str]:
    kb, problems = load_knowledge(ROOT / "knowledge", ROOT)
    assert kb is not None, "\n".join(map(str, problems))
    return {c.ref for e in kb.entries for c in e.citations} | policy_refs(ROOT / "rules")


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_registered_source_is_cited_or_marked(registry, cited):
    assert unaccounted(registry, cited) == [], (
        f"cite these from an entry or policy, or remove them, or put 「{UNCITED_MARK}」 and the reason in their note"
    )


def test_every_cited_source_is_registered(registry, cited):
    assert sorted(cited - set(registry)) == []


def test_the_reference_names_every_registry_id(registry, doc):
    missing = [sid for sid in registry if f"`{sid}`" not in doc]
    assert missing == [], "add a section (or a row of the local-documents table) to docs/regulations.md"


def test_the_reference_has_no_section_for_an_unknown_id(registry, doc):
    sections = re.findall(r"^### `([a-z0-9_]+)`", doc, flags=re.M)
    assert sections, "sections are headed ### `id`: title"
    assert sorted(set(sections) - set(registry)) == []
    assert len(sections) == len(set(sections))


def test_superseded_and_local_sources_are_described_as_such(registry, doc):
    for sid, src in registry.items():
        if src.status == "superseded":
            section = doc.split(f"### `{sid}`", 1)[1].split("\n### ", 1)[0]
            assert "superseded" in section, sid
            assert f"`{src.superseded_by}`" in section, sid
        if src.local:
            row = next((line for line in doc.splitlines() if line.startswith(f"| `{sid}` |")), "")
            assert row, f"{sid}: local documents are listed in the table of section 9"


def test_every_audit_item_has_one_resolution_line(doc):
    resolution = doc.split("## Audit resolution", 1)[1].split("\n## ", 1)[0]
    for item in AUDIT_ITEMS:
        lines = [line for line in resolution.splitlines() if line.startswith(f"- **{item}**")]
        assert len(lines) == 1, item
        assert re.search(r"\*\*(fixed|confirmed|local|unsettled)", lines[0]), item


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("knowledge/*.yaml")) + sorted(ROOT.glob("docs/*.md")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_knowledge_and_docs_do_not_point_at_the_external_fact_sheet(path):
    assert "facts.md" not in path.read_text(encoding="utf-8")
