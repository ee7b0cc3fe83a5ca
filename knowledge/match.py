"""Rank knowledge entries for a question: IDF-weighted character n-gram Dice, synonyms, typo repair.

Every entry contributes several short documents (its title, each example question, each keyword).
A question is normalized, rewritten to canonical synonyms, repaired for homophone typos, and scored
against the documents; an entry's score is its best document's score. Features are character bigrams
plus single characters at a lower weight; weights are inverse entry frequency, and features the
knowledge base has never seen count against the match, so off-topic questions score low. Every
document is scored (knowledge.index adds up the shared features' weights for all of them in numpy).
"""

from __future__ import annotations

import math
import re

import numpy as np

from knowledge.index import FeatureIndex
from knowledge.judge import Judge
from knowledge.load import KnowledgeBase
from knowledge.normalize import normalize_many
from knowledge.scored import ACCEPT, CALIBRATION, MAX_UNSEEN, Match, calibrate, features  # noqa: F401 (re-exported)
from knowledge.typos import TypoFixer

KEYWORD_FACTOR = 0.7
TITLE_FACTOR = 1.0
KEYWORD_BONUS = 0.2  # an entry whose keyword appears verbatim gains this share of the keyword's weight
UNSEEN_PENALTY = 0.1  # share of the question the knowledge base has never seen counts against it


class Synonyms:
    """Rewrites variant terms to their canonical term, longest match first."""

    def __init__(self, groups: tuple[tuple[str, ...], ...]):
        normalized = iter(normalize_many([term for group in groups for term in group]))
        mapping: dict[str, str] = {}
        for group in groups:
            forms = [next(normalized) for _ in group]
            for form in forms:
                mapping[form] = forms[0]
        self.mapping = {k: v for k, v in mapping.items() if k}
        terms = sorted(self.mapping, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, terms))) if terms else None

    def canonical(self, text: str) -> str:
        if not self.pattern:
            return text
        return self.pattern.sub(lambda m: self.mapping[m.group(0)], text)

    def canonical_many(self, texts: list[str]) -> list[str]:
        """[self.canonical(t) for t in texts] in one pass: terms hold no newline, so none matches across one."""
        if not self.pattern or not texts or any("\n" in t for t in texts):
            return [self.canonical(t) for t in texts]
        return self.canonical("\n".join(texts)).split("\n")


def prepare_text(synonyms: Synonyms, typos: TypoFixer, normalized: str) -> str:
    """Matcher.prepare() without its memo (knowledge.batch_rank uses it too).

    Typos first, then synonyms, then once more: a synonym can rewrite the word beside a typo (入当积极分子 would
    become 入当入党积极分子, no longer a repairable window), and a typo inside a synonym's variant is only seen as
    one once the variant is canonical."""
    return synonyms.canonical(typos.fix(synonyms.canonical(typos.fix(normalized))))


class Matcher:
    """An index over one KnowledgeBase; build once per KB version, then call rank()."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.synonyms = Synonyms(kb.synonyms)
        self.entry_ids = [entry.id for entry in kb.entries]
        self.titles = [entry.title for entry in kb.entries]
        # Every entry's documents: its title, each example question, each keyword.
        phrases: list[str] = []
        owners: list[int] = []
        factors: list[float] = []
        lexicon: set[str] = set()
        for idx, entry in enumerate(kb.entries):
            phrases += (entry.title, *entry.questions, *entry.keywords)
            owners += [idx] * (1 + len(entry.questions) + len(entry.keywords))
            factors += [TITLE_FACTOR] + [1.0] * len(entry.questions) + [KEYWORD_FACTOR] * len(entry.keywords)
            lexicon.update((entry.category, *entry.keywords))
        for group in kb.synonyms:
            lexicon.update(group)
        # Normalize and canonicalize every distinct phrase once, all in one pass.
        distinct = list(dict.fromkeys(phrases + sorted(lexicon)))
        normal = dict(zip(distinct, normalize_many(distinct)))
        self._normal = normal  # for normalize_known(): the self-test and the lint ask for these again
        forms = list(dict.fromkeys(normal.values()))
        canon = dict(zip(forms, self.synonyms.canonical_many(forms)))
        texts = [canon[normal[p]] for p in phrases]
        kept = [i for i, text in enumerate(texts) if text] if "" in texts else list(range(len(texts)))
        self.index = FeatureIndex([texts[i] for i in kept], [owners[i] for i in kept], len(kb.entries))
        self.unseen_idf = math.log(1 + self.index.n_entries)
        self.doc_entry = np.array([owners[i] for i in kept], dtype=np.int64)
        self.doc_factor2 = np.array([factors[i] * 2 for i in kept])
        # Documents come grouped by entry: where each entry's first one is.
        self.entry_first_doc = np.flatnonzero(np.diff(self.doc_entry, prepend=-1))
        terms = {normal[t] for t in lexicon}
        self.typos = TypoFixer(self.index.ids, terms | {canon[t] for t in terms})
        self._index_keywords(kb, [canon[normal[k]] for e in kb.entries for k in e.keywords])
        self.judge = self._build_judge(kb, normal)

    def _build_judge(self, kb: KnowledgeBase, normal: dict[str, str]):
        """knowledge.judge over every entry's whole text (answers and steps normalized here, in one pass)."""
        extra = [t for e in kb.entries for t in (e.answer, *e.steps, *e.not_for)]
        more = iter(normalize_many(extra))
        texts, not_for, forms = [], [], []
        for entry in kb.entries:
            own = [normal[entry.title], *(normal[q] for q in entry.questions), *(normal[k] for k in entry.keywords)]
            texts.append(own + [next(more) for _ in (entry.answer, *entry.steps)])
            not_for.append([next(more) for _ in entry.not_for])
            forms.append(own[: 1 + len(entry.questions)])
        heads = [1 + len(e.questions) + len(e.keywords) for e in kb.entries]
        return Judge(self, texts, not_for, [e.aspects for e in kb.entries], forms, heads)

    def decide(self, normalized: str, ranked: list[Match] | None = None):
        """What to do with a normalized question: knowledge.judge.Decision (answer, choose, clarify, decline)."""
        return self.judge.decide(normalized, ranked)

    def normalize_known(self, texts: list[str]) -> list[str]:
        """normalize_many(texts), reusing the index's own pass for the texts it saw (every title, example
        question and keyword): at 10,000 entries normalizing 30,000 questions again took 0.1-0.2 s each time."""
        known = self._normal
        missing = [t for t in texts if t not in known]
        extra = dict(zip(missing, normalize_many(missing))) if missing else {}
        return [known[t] if t in known else extra[t] for t in texts]

    def __getstate__(self) -> dict:  # what crosses a process boundary: the index, not this helper's cache
        return {k: v for k, v in self.__dict__.items() if k not in ("_normal", "_last_prepared")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._normal = {}

    def _index_keywords(self, kb: KnowledgeBase, keywords: list[str]) -> None:
        """Each keyword's owners (entry, position among its keywords) as a span of flat arrays, and its weight."""
        stream = iter(keywords)
        number: dict[str, int] = {}
        owners, positions, numbers = [], [], []
        for idx, entry in enumerate(kb.entries):
            own = [k for k in (next(stream) for _ in entry.keywords) if k]
            for pos, keyword in enumerate(own):
                owners.append(idx)
                positions.append(pos)
                numbers.append(number.setdefault(keyword, len(number)))
        ids, idf = self.index.ids, self.index.idf  # a keyword is a document too: all its features are known
        weight = [sum(t * idf[ids[f]] for f, t in features(k).items()) for k in number]
        order = np.argsort(np.array(numbers, dtype=np.int64), kind="stable")
        ends = np.cumsum(np.bincount(np.array(numbers, dtype=np.int64), minlength=len(number))).tolist()
        self.keyword_span = {k: (ends[n - 1] if n else 0, ends[n]) for k, n in number.items()}
        self.keyword_owner = np.array(owners, dtype=np.int64)[order]
        self.keyword_position = np.array(positions, dtype=np.int64)[order]
        self.keyword_weight = np.array(weight)[np.array(numbers, dtype=np.int64)[order]]
        self.keyword_lengths = sorted({len(k) for k in number})
        heads: dict[str, set[int]] = {}
        for k in number:
            heads.setdefault(k[0], set()).add(len(k))
        self.keyword_heads = {head: tuple(sorted(lengths)) for head, lengths in heads.items()}

    def prepare(self, normalized: str) -> str:
        """Canonical synonyms and repaired typos: the form that is scored.

        The last result is kept: rank() and then the judge prepare the same question one after the other."""
        last = self.__dict__.get("_last_prepared")
        if last is not None and last[0] == normalized:
            return last[1]
        prepared = prepare_text(self.synonyms, self.typos, normalized)
        self._last_prepared = (normalized, prepared)
        return prepared

    def _keyword_hits(self, query: str) -> np.ndarray | None:
        """Per entry, the summed weight of its keywords that appear verbatim in the query (None if none)."""
        spans, heads = self.keyword_span, self.keyword_heads
        # Only the lengths of keywords that start with the character at i (a slice cut short by the end of
        # the query is a shorter keyword's slice, which that length finds as well).
        found = set()
        for i, head in enumerate(query):
            for n in heads.get(head, ()):
                piece = query[i : i + n]
                if piece in spans:
                    found.add(piece)
        if not found:
            return None
        picked = np.concatenate([np.arange(*spans[k]) for k in found])
        picked = picked[np.argsort(self.keyword_position[picked], kind="stable")]  # each entry's keywords in order
        return np.bincount(
            self.keyword_owner[picked], weights=self.keyword_weight[picked], minlength=len(self.entry_ids)
        )

    def rank(self, normalized: str, limit: int = 5) -> list[Match]:
        """Top entries for an already-normalized question, best first."""
        query = self.prepare(normalized)
        feats = features(query)
        if not feats:
            return []
        ids, idf = self.index.ids, self.index.idf
        weights, columns, known, unseen_weights = [], [], [], []
        for f, t in feats.items():
            column = ids.get(f)
            if column is None:
                weights.append(t * self.unseen_idf)
                unseen_weights.append(weights[-1])
            else:
                weights.append(t * idf[column])
                columns.append(column)
                known.append(weights[-1])
        q_total = sum(weights)
        unseen = sum(unseen_weights) / q_total
        if not columns:
            return []
        overlap = self.index.overlaps(columns, known)
        # Every document's Dice score (those sharing nothing score <= 0), then each entry's best document.
        scores = self.doc_factor2 * overlap / (q_total + self.index.totals) - UNSEEN_PENALTY * unseen
        best = np.maximum.reduceat(scores, self.entry_first_doc)
        positive = np.flatnonzero(best > 0)
        best, entries = best[positive], self.doc_entry[self.entry_first_doc[positive]]
        hits = self._keyword_hits(query)
        if hits is not None:
            best = best + KEYWORD_BONUS * np.minimum(hits[entries] / q_total, 1.0)
        if 0 < limit < len(best):
            cutoff = np.partition(best, len(best) - limit)[len(best) - limit]
            keep = best >= cutoff
            best, entries = best[keep], entries[keep]
        top = sorted(zip(best.tolist(), entries.tolist()), key=lambda se: (-se[0], self.entry_ids[se[1]]))[:limit]
        return [Match(self.entry_ids[i], self.titles[i], round(max(s, 0.0), 4), round(unseen, 4)) for s, i in top]
