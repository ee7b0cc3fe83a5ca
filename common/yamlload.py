"""Safe YAML loading with limits, duplicate-key rejection and a line number for every value.

PyYAML's safe loader silently keeps the last of two duplicate keys and expands aliases without limit;
this loader rejects both and remembers where each value came from so validation errors can say
`knowledge/admission.yaml:42: entries[3].answer: ...`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import re

import yaml

from common.problems import InvalidData, Problem, format_path

MAX_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_NODES = 200_000
MAX_DEPTH = 50  # real files nest about 6 levels; PyYAML's composer recurses, so 10,000 levels would crash it
MAX_REPORTED = 10  # located control characters listed per file

# What the YAML spec (and so PyYAML's reader) refuses: C0 controls except tab and line breaks, DEL, C1
# controls except NEL, surrogates, U+FFFE/U+FFFF.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHARACTER_NAMES = {
    "\x00": "a NUL byte (U+0000)",
    "\x0b": "a vertical tab (U+000B, what Word writes for a manual line break): replace it with a line break",
    "\x0c": "a form feed (U+000C, a page break): delete it",
}


@dataclass
class Loaded:
    """A parsed YAML document and the line of every value in it, keyed by path tuples."""

    file: str
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: tuple) -> int:
        """The line of the value at `path`, or of its nearest located parent."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: tuple, message: str, severity: str = "error") -> Problem:
        return Problem(self.file, self.line(path), format_path(path), message, severity)


class _Loader(yaml.SafeLoader):
    """Safe loader that counts aliases while composing."""

    def __init__(self, stream):
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.MarkedYAMLError(None, None, f"more than {MAX_ALIASES} aliases", event.start_mark)
        return super().compose_node(parent, index)


class _TooManyAliases(Exception):
    """Raised on the fast path so the pure-Python loader can report the alias limit in its usual words."""


def _convert(loader, node: yaml.Node, path: tuple, out: Loaded, budget: list[int], seen: dict | None = None) -> object:
    if len(path) > MAX_DEPTH:
        raise InvalidData([_too_deep(out.file, node.start_mark.line + 1)])
    if seen is not None:
        # Fast path (libyaml composes without counting aliases): a node met again is an alias use.
        key = id(node)
        if key in seen:
            seen["aliases"] = seen.get("aliases", 0) + 1
            if seen["aliases"] > MAX_ALIASES:
                raise _TooManyAliases
        seen[key] = True
    budget[0] -= 1
    if budget[0] < 0:
        raise InvalidData(
            [
                Problem(
                    out.file,
                    node.start_mark.line + 1,
                    "",
                    f"document too large after expanding aliases (over {MAX_NODES:,} values)",
                )
            ]
        )
    out.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise InvalidData([out.problem(path, f"line {key_node.start_mark.line + 1}: unsupported key {key!r}")])
            if key in result:
                first = out.lines.get(path + (key,), 0)
                out.lines[path + (key,)] = key_node.start_mark.line + 1
                raise InvalidData(
                    [out.problem(path + (key,), f"duplicate key '{key}' (first defined on line {first})")]
                )
            result[key] = _convert(loader, value_node, path + (key,), out, budget, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, path + (i,), out, budget, seen) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # a timestamp such as 2030-02-30: PyYAML raises a bare error
        raise InvalidData(
            [out.problem(path, f"'{node.value}' is not a valid {node.tag.rsplit(':', 1)[-1]}: {exc}")]
        ) from None


def parse_yaml(raw: bytes, file: str) -> Loaded:
    """Parse bytes into a `Loaded`, raising InvalidData with located problems."""
    out = Loaded(file, None)
    if len(raw) > MAX_BYTES:
        raise InvalidData([Problem(file, 0, "", f"file is {len(raw):,} bytes, over the {MAX_BYTES:,}-byte limit")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidData(
            [
                Problem(
                    file,
                    line,
                    "",
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
                )
            ]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InvalidData([Problem(file, 1, "", "file is empty")])
    bad = _control_characters(text, file)
    if bad:
        raise InvalidData(bad)
    fast = _parse_fast(text, file)
    if fast is not None:
        return fast
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InvalidData([Problem(file, 1, "", "file is empty")])
        out.data = _convert(loader, node, (), out, [MAX_NODES])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise InvalidData([Problem(file, line, "", f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise InvalidData([Problem(file, 0, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        # PyYAML composes nested collections recursively: locate the first value nested too deep instead.
        raise InvalidData([_too_deep(file, _deep_line(text))]) from None
    finally:
        loader.dispose()
    return out


def _too_deep(file: str, line: int) -> Problem:
    return Problem(file, line, "", f"nested more than {MAX_DEPTH} levels deep")


def _deep_line(text: str) -> int:
    """The line where nesting first exceeds MAX_DEPTH, from the event stream (PyYAML's parser does not recurse)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        pass
    return 1


def _control_characters(text: str, file: str) -> list[Problem]:
    """Every line (up to MAX_REPORTED) holding a character YAML refuses, with its column and what it is."""
    problems: list[Problem] = []
    line, line_start, counted = 1, 0, 0
    for match in _NOT_PRINTABLE.finditer(text):
        pos = match.start()
        if pos < line_start:  # another one on a line already reported
            continue
        line += text.count("\n", counted, pos)
        line_start = text.rfind("\n", 0, pos) + 1
        counted = pos
        if len(problems) == MAX_REPORTED:
            problems.append(Problem(file, line, "", "more lines with control characters follow"))
            break
        char = match.group()
        what = _CHARACTER_NAMES.get(char, f"the control character U+{ord(char):04X}")
        problems.append(Problem(file, line, "", f"column {pos - line_start + 1}: {what}; YAML files cannot contain it"))
        end = text.find("\n", pos)
        line_start = len(text) if end < 0 else end + 1  # skip the rest of this line
        line += 1 if end >= 0 else 0
        counted = line_start
    return problems


def _parse_fast(text: str, file: str) -> Loaded | None:
    """Parse with libyaml (about 12x faster); None on any problem, so the pure-Python loader, whose messages
    the tests and the docs quote, reports it. Valid documents give the same data and lines either way."""
    fast_loader = getattr(yaml, "CSafeLoader", None)
    if fast_loader is None:
        return None
    out = Loaded(file, None)
    loader = fast_loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        out.data = _convert(loader, node, (), out, [MAX_NODES], {})
        return out
    except (yaml.YAMLError, InvalidData, _TooManyAliases, RecursionError):
        return None
    finally:
        loader.dispose()


def read_limited(path: Path, name: str) -> bytes:
    """A file's bytes, refusing (before reading) one over MAX_BYTES."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InvalidData([Problem(name, 0, "", f"file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit")])
        return path.read_bytes()
    except OSError as exc:
        raise InvalidData([Problem(name, 0, "", f"cannot read file: {exc.strerror}")]) from None


def load_yaml(path: Path, display: str | None = None) -> Loaded:
    """Read and parse a YAML file; `display` is the name used in messages (default: the path)."""
    name = display or str(path)
    return parse_yaml(read_limited(path, name), name)
