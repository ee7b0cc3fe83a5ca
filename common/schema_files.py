"""The JSON Schema files generated from the loaders' field tables (knowledge/, rules/ and reminders/ each keep
a SCHEMAS table of file name -> function returning the schema): one way to render and write them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


def render(schemas: dict[str, Callable[[], dict]], name: str) -> str:
    """The schema file's text, as committed: indented JSON with Chinese left readable."""
    return json.dumps(schemas[name](), ensure_ascii=False, indent=2) + "\n"


def write_all(schemas: dict[str, Callable[[], dict]], directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    for name in schemas:
        (directory / name).write_text(render(schemas, name), encoding="utf-8")
        print(f"wrote {directory / name}")
