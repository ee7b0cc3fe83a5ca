"""The fact vocabulary and the topics, loaded from `rules/vocabulary/*.yaml` into typed objects.

The YAML owns every fact's name, type, unit, label and range, the phrases that signal it in free
text, the cross-fact checks, and every topic with its facts, routing phrases and question focuses.
Code owns only the generic readers (rules/extract/) that these drive. An admin adds a new kind of
check by YAML alone: new facts, a topic and policies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from common.problems import InvalidData, Problem
from common.yamlload import Loaded, load_yaml

DIRECTORY = "vocabulary"  # below rules/
TYPES = ("count", "money", "percentage", "duration", "date", "choice", "yes-no")
MEASURES = ("months", "days", "hours")
# The coarse value type each YAML type is stored as (used by the engine, the loader and the lint).
KIND = {"count": "int", "money": "float", "percentage": "float", "date": "date", "choice": "choice", "yes-no": "bool"}
FACT_FIELDS = ("type", "label", "unit", "min", "max", "measure", "choices", "context", "read")
READ_FIELDS = (
    "patterns",
    "role",
    "keywords",
    "gaps",
    "yes_phrases",
    "no_phrases",
    "when",
    "unless",
    "mask",
    "least",
    "pick",
    "order",
    "after",
    "default",
    "implies_when_yes",
    "early",
)
PATTERN_FIELDS = ("pattern", "unless_before", "unless_after")
TOPIC_FIELDS = ("label", "facts", "phrases", "strong", "stage", "focus")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MACRO_RE = re.compile(r"\{([A-Z][A-Z_]*)\}")

# The number grammar of the readers: generic, not about any fact.
CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
GRAMMAR = {
    "NUM": rf"(?:(?:-|负)?\d+(?:\.\d+)?(?:万|亿)?|[{CN_DIGITS}]+)",
    "DIGITS": r"(?:-|负)?\d+(?:\.\d+)?(?:万|亿)?",
    "FILLER": r"(?:只有|仅有|一共有|一共|总共有|总共|共有|共计|合计|总计|大概|大约|现有|正好|刚好|恰好|整整|足足|也是|也有|有|为|是|了|才|就|只|仅|共|约|:|\s)*",
    "MEASURE": r"(?>\s*(?:名|个(?![月半多])|位|人)?)",
    "NOT_UNIT": r"(?![\d.月年天岁元块周号日票%次]|以上|以下|以内|及以上|左右)",
    "DUR": r"(?:\d+(?:\.\d+)?\s*(?:个半月|个多月|个月|年半|年)|半(?:个月|年))",
    "GAP": (
        r"(?:已经|已|都|有|连续)?(?:\d+(?:\.\d+)?\s*(?:个半月|个多月|个月|年半|年)|半(?:个月|年))"
        r"(?:了|都|也|还)?(?:没|未|没有)(?:开|召开|举行|搞|组织|过)(?:过)?"
    ),
}


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    unless_before: re.Pattern[str] | None = None
    unless_after: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Fact:
    """One fact: its YAML type, the stored kind (int/float/bool/date/choice), label, unit, range, readers."""

    name: str
    yaml_type: str
    label: str
    unit: str = ""
    measure: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = 0
    maximum: float | None = None
    context: bool = False
    read: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def type(self) -> str:
        """int, float, bool, date or choice (a duration in months is whole, in days or hours not)."""
        if self.yaml_type == "duration":
            return "int" if self.measure == "months" else "float"
        return KIND[self.yaml_type]


@dataclass(frozen=True)
class Focus:
    name: str
    phrases: re.Pattern[str]
    policies: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    facts: tuple[str, ...]
    phrases: re.Pattern[str]
    strong: re.Pattern[str] | None = None
    stage: int = 0
    focus: tuple[Focus, ...] = ()


@dataclass(frozen=True)
class Check:
    """A cross-fact check: sum(facts) compared with another fact, or a forbidden pair of values."""

    message: str
    facts: tuple[str, ...] = ()
    op: str = ""  # at_most | at_least | equals
    other: str = ""
    unless: str = ""
    when: tuple[str, object] | None = None
    forbid: tuple[str, tuple] | None = None

    names: tuple[str, ...] = field(default=(), compare=False)  # every fact the check reads (set below)

    def __post_init__(self) -> None:
        names = (self.when[0], self.forbid[0]) if self.when else self.facts + (self.other,)
        object.__setattr__(self, "names", names)


@dataclass(frozen=True)
class Vocabulary:
    facts: dict[str, Fact]
    topics: dict[str, Topic]
    checks: tuple[Check, ...] = ()
    files: tuple[str, ...] = ()
    _derived: dict = field(default_factory=dict, compare=False, repr=False)

    def derived(self, key: str, build):
        """A structure the readers build from the vocabulary once (compiled patterns, keyword lists)."""
        if key not in self._derived:
            self._derived[key] = build(self)
        return self._derived[key]

    @property
    def topic_labels(self) -> dict[str, str]:
        return {name: t.label for name, t in self.topics.items()}


class _Reader:
    def __init__(self, doc: Loaded):
        self.doc = doc
        self.problems: list[Problem] = []
        self.macros = dict(GRAMMAR)

    def err(self, path: tuple, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def regex(self, path: tuple, raw: object) -> re.Pattern[str] | None:
        if not isinstance(raw, str) or not raw:
            self.err(path, f"expected a regular expression (text), found {raw!r}")
            return None
        text = raw
        for _ in range(3):  # macros may use macros
            text = MACRO_RE.sub(lambda m: self.macros.get(m[1], m[0]), text)
        unknown = MACRO_RE.findall(text)
        if unknown:
            self.err(path, f"unknown macro {{{unknown[0]}}}; define it under `macros`")
            return None
        try:
            return re.compile(text)
        except re.error as exc:
            self.err(path, f"invalid regular expression: {exc}")
            return None

    def unknown_fields(self, path: tuple, raw: dict, known: tuple) -> None:
        for key in raw:
            if key not in known:
                self.err(path + (key,), f"unknown field '{key}'; use one of {', '.join(known)}")


def _read_facts(r: _Reader, data: dict) -> dict[str, Fact]:
    macros = data.get("macros") or {}
    if not isinstance(macros, dict):
        r.err(("macros",), "macros must be a mapping NAME -> regular expression")
        macros = {}
    for name, value in macros.items():
        if not isinstance(value, str):
            r.err(("macros", name), "a macro must be text")
            continue
        r.macros[str(name)] = value
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, dict):
        r.err(("facts",) if "facts" in data else (), "missing mapping 'facts' (fact name -> definition)")
        return {}
    facts = {}
    for name, raw in raw_facts.items():
        fact = _read_fact(r, ("facts", name), str(name), raw)
        if fact is not None:
            facts[fact.name] = fact
    return facts


def _read_fact(r: _Reader, path: tuple, name: str, raw: object) -> Fact | None:
    if not NAME_RE.match(name):
        r.err(path, f"fact name '{name}' must be lower-case ASCII with underscores")
        return None
    if not isinstance(raw, dict):
        r.err(path, "a fact must be a mapping with at least `type` and `label`")
        return None
    r.unknown_fields(path, raw, FACT_FIELDS)
    before = len(r.problems)
    ftype, label = raw.get("type"), raw.get("label")
    if ftype not in TYPES:
        r.err(path + ("type",), f"type must be one of {', '.join(TYPES)}, found {ftype!r}")
    if not isinstance(label, str) or not label.strip():
        r.err(path + ("label",), "field required: label (the Chinese name shown to users)")
    measure = raw.get("measure", "")
    if ftype == "duration" and measure not in MEASURES:
        r.err(path + ("measure",), f"a duration needs measure: one of {', '.join(MEASURES)}")
    choices = raw.get("choices") or {}
    if ftype == "choice" and (not isinstance(choices, dict) or not choices):
        r.err(path + ("choices",), "a choice needs `choices`: a mapping choice -> phrases")
        choices = {}
    read = _read_read(r, path + ("read",), raw.get("read") or {}, choices if ftype == "choice" else {})
    for bound in ("min", "max"):
        if bound in raw and (isinstance(raw[bound], bool) or not isinstance(raw[bound], (int, float))):
            r.err(path + (bound,), f"{bound} must be a number")
    if len(r.problems) > before:
        return None
    numeric = ftype in ("count", "money", "percentage", "duration")
    return Fact(
        name,
        ftype,
        label.strip(),
        str(raw.get("unit", "")),
        measure,
        tuple(str(c) for c in choices),
        raw.get("min", 0) if numeric else None,
        raw.get("max") if numeric else None,
        bool(raw.get("context", False)),
        read,
    )


def _read_read(r: _Reader, path: tuple, raw: object, choices: dict) -> dict:
    if not isinstance(raw, dict):
        r.err(path, "read must be a mapping")
        return {}
    r.unknown_fields(path, raw, READ_FIELDS)
    out: dict = {}
    for key in ("keywords", "yes_phrases", "no_phrases", "when", "unless"):
        if key in raw:
            out[key] = r.regex(path + (key,), raw[key])
    if "role" in raw:
        out["role"] = str(raw["role"]).split("|")
    for key in ("patterns", "gaps"):
        items = raw.get(key, [])
        if not isinstance(items, list):
            r.err(path + (key,), f"{key} must be a list")
            continue
        found = []
        for i, item in enumerate(items):
            spec = item if isinstance(item, dict) else {"pattern": item}
            r.unknown_fields(path + (key, i), spec, PATTERN_FIELDS)
            regex = r.regex(path + (key, i), spec.get("pattern"))
            if regex is None:
                continue
            if key == "patterns" and "n" not in regex.groupindex:
                r.err(path + (key, i), "a number pattern needs a group (?P<n>...) around the number")
                continue
            found.append(
                Pattern(
                    regex,
                    *(
                        r.regex(path + (key, i, k), spec[k]) if k in spec else None
                        for k in ("unless_before", "unless_after")
                    ),
                )
            )
        if items:
            out[key] = tuple(found)
    for key in ("mask", "default", "early"):
        if key in raw:
            out[key] = raw[key]
    if "least" in raw:
        out["least"] = raw["least"]
    if "pick" in raw:
        if raw["pick"] not in ("first", "listed"):
            r.err(path + ("pick",), "pick must be first or listed")
        out["pick"] = raw["pick"]
    if "after" in raw:
        out["after"] = str(raw["after"])
    if "implies_when_yes" in raw:
        out["implies_when_yes"] = dict(raw["implies_when_yes"])
    if choices:
        order = raw.get("order") or list(choices)
        out["choices"] = tuple((str(c), r.regex(path[:-1] + ("choices", c), choices[c])) for c in order if c in choices)
    return out


def _read_checks(r: _Reader, data: dict, facts: dict[str, Fact]) -> tuple[Check, ...]:
    raw = data.get("checks") or []
    if not isinstance(raw, list):
        r.err(("checks",), "checks must be a list")
        return ()
    out = []
    for i, item in enumerate(raw):
        path = ("checks", i)
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            r.err(path, "a check must be a mapping with a `message`")
            continue
        if "if" in item:
            cond, forbid = item.get("if"), item.get("forbid")
            if not (isinstance(cond, dict) and len(cond) == 1 and isinstance(forbid, dict) and len(forbid) == 1):
                r.err(path, "`if` and `forbid` must each map one fact to a value (forbid: to a list)")
                continue
            (a, value), (b, values) = next(iter(cond.items())), next(iter(forbid.items()))
            check = Check(item["message"], when=(a, value), forbid=(b, tuple(values)))
        else:
            ops = [op for op in ("at_most", "at_least", "equals") if op in item]
            names = item.get("facts")
            if len(ops) != 1 or not isinstance(names, list) or not names:
                r.err(path, "a check needs `facts` (a list) and one of at_most, at_least, equals")
                continue
            check = Check(item["message"], tuple(names), ops[0], str(item[ops[0]]), str(item.get("unless", "")))
        for name in check.names + ((check.unless,) if check.unless else ()):
            if name not in facts:
                r.err(path, f"unknown fact '{name}' in a check")
        out.append(check)
    return tuple(out)


def _read_topics(r: _Reader, data: dict, facts: dict[str, Fact]) -> dict[str, Topic]:
    raw_topics = data.get("topics")
    if not isinstance(raw_topics, dict):
        r.err(("topics",) if "topics" in data else (), "missing mapping 'topics' (topic name -> definition)")
        return {}
    topics = {}
    for name, raw in raw_topics.items():
        path = ("topics", name)
        if not isinstance(raw, dict):
            r.err(path, "a topic must be a mapping with label, facts and phrases")
            continue
        r.unknown_fields(path, raw, TOPIC_FIELDS)
        before = len(r.problems)
        names = raw.get("facts")
        if not isinstance(names, list) or not names:
            r.err(path + ("facts",), "field required: facts (a list of fact names)")
            names = []
        for i, fact in enumerate(names):
            if fact not in facts:
                r.err(path + ("facts", i), f"unknown fact '{fact}'; declare it in facts.yaml")
        if not isinstance(raw.get("label"), str):
            r.err(path + ("label",), "field required: label")
        phrases = r.regex(path + ("phrases",), raw.get("phrases"))
        strong = r.regex(path + ("strong",), raw["strong"]) if "strong" in raw else None
        focus = []
        for fname, fraw in (raw.get("focus") or {}).items():
            if not isinstance(fraw, dict) or not isinstance(fraw.get("policies"), list):
                r.err(path + ("focus", fname), "a focus needs phrases and policies (a list of policy ids)")
                continue
            fre = r.regex(path + ("focus", fname, "phrases"), fraw.get("phrases"))
            if fre is not None:
                focus.append(Focus(str(fname), fre, tuple(str(p) for p in fraw["policies"])))
        if len(r.problems) == before and phrases is not None:
            topics[str(name)] = Topic(
                str(name), raw["label"], tuple(names), phrases, strong, int(raw.get("stage", 0) or 0), tuple(focus)
            )
    return topics


def load_vocabulary(rules_dir: Path, root: Path | None = None) -> tuple[Vocabulary | None, list[Problem]]:
    """Read every `*.yaml` in rules_dir/vocabulary: facts, macros, checks and topics may be in any file."""
    directory = Path(rules_dir) / DIRECTORY
    files = sorted(directory.glob("*.yaml"))
    if not files:
        return None, [Problem(str(directory), 0, "", "no vocabulary files (facts and topics) found")]
    docs, problems = [], []
    for path in files:
        display = str(path)
        if root is not None:
            try:
                display = str(path.resolve().relative_to(Path(root).resolve()))
            except ValueError:
                pass
        try:
            docs.append(load_yaml(path, display))
        except InvalidData as exc:
            problems.extend(exc.problems)
    facts: dict[str, Fact] = {}
    readers = []
    for doc in docs:  # facts first: checks and topics refer to facts of any file
        r = _Reader(doc)
        readers.append(r)
        if not isinstance(doc.data, dict):
            r.err((), "a vocabulary file must be a mapping")
            continue
        if "facts" in doc.data or "macros" in doc.data:
            for name, fact in _read_facts(r, doc.data).items():
                if name in facts:
                    r.err(("facts", name), f"fact '{name}' is declared twice")
                facts[name] = fact
    topics: dict[str, Topic] = {}
    checks: list[Check] = []
    for r in readers:
        if not isinstance(r.doc.data, dict) or not facts:
            continue
        checks.extend(_read_checks(r, r.doc.data, facts))
        if "topics" in r.doc.data:
            topics.update(_read_topics(r, r.doc.data, facts))
        problems.extend(r.problems)
    if not topics and not any(p.severity == "error" for p in problems):
        problems.append(Problem(str(directory), 0, "", "no topics declared"))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return Vocabulary(facts, topics, tuple(checks), tuple(d.file for d in docs)), problems


BUILTIN = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The vocabulary shipped in this repository's rules/vocabulary (used when no content root is given)."""
    vocab, problems = load_vocabulary(BUILTIN)
    if vocab is None:
        raise InvalidData(problems)
    return vocab
