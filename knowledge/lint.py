"""Knowledge-base lint: problems the schema cannot see, found by looking at the whole knowledge base.

Pure functions (no I/O): each takes a loaded KnowledgeBase (and its Matcher) and returns located
Problems; `error` ones block publishing, `warning` ones are shown.

- colliding_questions: the same example question in two entries (error); an example question whose
  best other entry scores within TIE_MARGIN of its own entry, above or below (warning). A question that
  clearly ranks another entry first is the self-test's error (handlers.content.self_test), not repeated.
- synonym_conflicts: a term that normalizes to a term of another group, i.e. one term with two
  meanings (error); a term that contains a variant of another group such that rewriting is
  order-dependent: with that variant written in its canonical form, the longer term is no longer
  recognized (warning); a group whose canonical term appears in no entry text at all (warning).
- dangling_related: `related` ids that do not exist (error; the loader checks this too, the lint
  keeps it for candidate sets built outside the loader).
- not_for_answered: a `not_for` question that its entry still answers, list and all (warning).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from common.problems import Problem
from knowledge.load import SYNONYMS_FILE, KnowledgeBase
from knowledge.match import ACCEPT, Matcher, Synonyms
from knowledge.normalize import normalize_many

TIE_MARGIN = 0.02  # raw-score gap under which an example question's own entry and another one tie
RANK_DEPTH = 2  # the own entry and its best rival (if the own entry is not in the top two, the self-test fails)
MAX_PASSES = 4  # synonym rewriting is repeated until it is stable, at most this many times


def colliding_questions(kb: KnowledgeBase, matcher: Matcher) -> list[Problem]:
    """Example questions that collide: the same normalized question in two entries, or a near tie."""
    problems: list[Problem] = []
    questions = [(e, i, q) for e in kb.entries for i, q in enumerate(e.questions)]
    normal = getattr(matcher, "normalize_known", normalize_many)([q for _, _, q in questions])
    first = {}  # normalized question -> the first entry holding it
    duplicated: set[str] = set()  # normalized questions of more than one entry: reported once, as errors
    for (entry, i, question), norm in zip(questions, normal):
        owner = first.setdefault(norm, entry)
        if norm and owner.id != entry.id:
            duplicated.add(norm)
            problems.append(
                Problem(
                    entry.file,
                    entry.line,
                    f"{entry.id}.questions[{i}]",
                    f"example question '{question}' is also an example question of "
                    f"{owner.id} ({owner.file}:{owner.line}); keep it in one entry",
                )
            )
    for (entry, i, question), norm in zip(questions, normal):
        if norm in duplicated or not norm:
            continue
        ranked = matcher.rank(norm, limit=RANK_DEPTH)
        own = next((m.raw for m in ranked if m.entry_id == entry.id), 0.0)
        rival = next((m for m in ranked if m.entry_id != entry.id), None)
        if rival is None or max(own, rival.raw) < ACCEPT:
            continue  # nothing would be answered either way
        if abs(own - rival.raw) <= TIE_MARGIN:
            problems.append(
                Problem(
                    entry.file,
                    entry.line,
                    f"{entry.id}.questions[{i}]",
                    f"example question '{question}' nearly ties {entry.id} with {rival.entry_id} "
                    f"(raw {own:.3f} vs {rival.raw:.3f})",
                    "warning",
                )
            )
    return problems


def synonyms_file(kb: KnowledgeBase) -> str:
    """Where the synonym groups came from, as the loader displays paths (beside the entry files)."""
    if kb.files:
        return str(PurePosixPath(kb.files[0]).parent / SYNONYMS_FILE)
    return SYNONYMS_FILE


def synonym_conflicts(kb: KnowledgeBase, file: str | None = None) -> list[Problem]:
    """Terms with two meanings (error), order-dependent rewriting (warning) and dead groups (warning).

    `file` is where the groups were read from (default: synonyms.yaml beside the entry files); the
    problems are located there by path (groups[i][j]), without a line.
    """
    file = file or synonyms_file(kb)
    groups = kb.synonyms
    flat = [term for group in groups for term in group]
    normal = iter(normalize_many(flat))
    forms = [[next(normal) for _ in group] for group in groups]  # normalized, group by group
    rewrite = Synonyms(groups)
    problems: list[Problem] = []

    owner: dict[str, tuple[int, int]] = {}  # normalized term -> (group, position)
    clashing: set[str] = set()
    for g, group in enumerate(forms):
        for j, form in enumerate(group):
            if not form:
                continue
            h, k = owner.setdefault(form, (g, j))
            if h != g and forms[h][0] != group[0]:
                clashing.add(form)
                problems.append(
                    Problem(
                        file,
                        0,
                        f"groups[{g}][{j}]",
                        f"term '{groups[g][j]}' is the same as '{groups[h][k]}' in groups[{h}] "
                        f"once normalized: it maps to two meanings ({groups[h][0]} and {groups[g][0]})",
                    )
                )

    problems += _order_dependent(groups, forms, clashing, rewrite, file)

    texts = [t for e in kb.entries for t in (e.title, *e.questions, *e.keywords, e.answer, *e.steps)]
    corpus = "\n".join(rewrite.canonical_many(normalize_many(texts)))
    for g, group in enumerate(forms):
        canonical = rewrite.mapping.get(group[0], group[0])
        if canonical and canonical not in corpus:
            problems.append(
                Problem(
                    file,
                    0,
                    f"groups[{g}]",
                    f"dead synonym: no entry uses '{groups[g][0]}' or any of its variants",
                    "warning",
                )
            )
    return problems


def _settle(rewrite: Synonyms, text: str) -> str:
    """Rewrite to canonical terms until nothing changes (the matcher rewrites a question twice)."""
    for _ in range(MAX_PASSES):
        done = rewrite.canonical(text)
        if done == text:
            break
        text = done
    return text


def _occurrences(text: str, term: str) -> list[int]:
    found, start = [], text.find(term)
    while start != -1:
        found.append(start)
        start = text.find(term, start + 1)
    return found


def _order_dependent(groups, forms, clashing: set[str], rewrite: Synonyms, file: str) -> list[Problem]:
    """Term t (group G) containing a variant u of another group H, where t with u written as H's canonical
    term is rewritten to something other than G's canonical term.

    Such a text holds overlapping terms of two groups, and the result depends on which is matched first
    (the leftmost wins): 党支部大会 is read as 党支部 + 大会, not as 支部大会 = 党员大会. Occurrences of
    u already inside a longer term of H written in t (党支部书记 holds 党支部), or straddling another
    term inside t (党总支部: 支部 crosses 总支), are not words of their own and are skipped; so are
    terms already reported with two meanings.
    """
    problems: list[Problem] = []
    terms = [(form, g) for g, group in enumerate(forms) for form in dict.fromkeys(group) if form]
    for g, group in enumerate(forms):
        target = rewrite.mapping.get(group[0], group[0])
        reported: set[str] = set()
        for j, t in enumerate(group):
            if not t or t in reported:
                continue
            inside = [(s, s + len(form), form, h) for form, h in terms if form != t for s in _occurrences(t, form)]
            for start, end, u, h in inside:
                canonical_u = rewrite.mapping.get(u, u)
                if h == g or u == canonical_u or u in clashing or t in clashing:
                    continue
                if any(h2 == h and s <= start and end <= e and (s, e) != (start, end) for s, e, _, h2 in inside):
                    continue  # part of a longer term of the same group, already written out
                if any(s < start < e < end or start < s < end < e for s, e, _, _ in inside):
                    continue  # straddles another term: not a word of its own here
                variant = t[:start] + canonical_u + t[end:]
                result = _settle(rewrite, variant)
                if result == target:
                    continue
                reported.add(t)
                problems.append(
                    Problem(
                        file,
                        0,
                        f"groups[{g}][{j}]",
                        f"'{groups[g][j]}' contains '{u}' of groups[{h}] ({groups[h][0]}): "
                        f"'{variant}' becomes '{result}', not '{target}' (rewriting is order-dependent); "
                        f"add '{variant}' to this group if it means the same",
                        "warning",
                    )
                )
                break
    return problems


def dangling_related(kb: KnowledgeBase) -> list[Problem]:
    """`related` ids that name no entry (or the entry itself)."""
    problems = []
    for entry in kb.entries:
        for rel in entry.related:
            if rel not in kb.by_id:
                problems.append(Problem(entry.file, entry.line, f"{entry.id}.related", f"unknown entry id '{rel}'"))
            elif rel == entry.id:
                problems.append(
                    Problem(entry.file, entry.line, f"{entry.id}.related", "an entry cannot relate to itself")
                )
    return problems


def not_for_answered(kb: KnowledgeBase, matcher: Matcher) -> list[Problem]:
    """A `not_for` question that its entry still answers, list and all (warning): one of the entry's own example
    questions is at least as like it, or its form asks what the not_for question's form does not. The list
    guards an entry only where the entry's examples are further away; reword the example or the not_for line."""
    problems = []
    texts = [(e, i, q) for e in kb.entries for i, q in enumerate(e.not_for)]
    for (entry, i, question), norm in zip(texts, normalize_many([q for _, _, q in texts])):
        decision = matcher.judge.decide(norm)
        if decision.kind in ("answer", "choose") and entry.id in [m.entry_id for m in decision.matches]:
            problems.append(
                Problem(
                    entry.file,
                    entry.line,
                    f"{entry.id}.not_for[{i}]",
                    f"'{question}' is listed as not for this entry, but the entry still gets it ({decision.kind}): "
                    f"one of its example questions is as close; reword that question or this line",
                    "warning",
                )
            )
    return problems


def lint_knowledge(kb: KnowledgeBase, matcher: Matcher) -> list[Problem]:
    """Every knowledge-base lint: errors block publishing, warnings are shown."""
    return (
        colliding_questions(kb, matcher) + synonym_conflicts(kb) + dangling_related(kb) + not_for_answered(kb, matcher)
    )
