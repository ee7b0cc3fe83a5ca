"""Located problems a YAML author can act on: `file:line: path: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One validation error (or warning) located in a YAML file."""

    file: str
    line: int
    path: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InvalidData(Exception):
    """Raised when data fails validation; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def split_severity(problems) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of a list of problems."""
    errors = [p for p in problems if p.severity == "error"]
    return errors, [p for p in problems if p.severity != "error"]


def format_path(path: tuple) -> str:
    """('entries', 3, 'answer') -> 'entries[3].answer'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
