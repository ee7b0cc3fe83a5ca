"""Rank knowledge entries for a question: IDF-weighted character n-gram Dice, synonyms, typo repair.

Every entry contributes several short documents (its title, each example question, each keyword).
A question is normalized, rewritten to canonical synonyms, repaired for homophone typos, and scored
against the documents; an entry's score is its best document's score. Features are character bigrams
plus single characters at a lower weight; weights are inverse entry frequency, and features the
knowledge base has never seen count against the match, so off-topic questions score low.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from knowledge.load import KnowledgeBase
from knowledge.normalize import normalize_text
from knowledge.typos import TypoFixer

UNIGRAM_WEIGHT = 0.3
KEYWORD_FACTOR = 0.7
TITLE_FACTOR = 1.0
POSTING_CAP = 3000      # features in more documents than this only refine shortlisted candidates
SHORTLIST = 60
KEYWORD_BONUS = 0.2     # an entry whose keyword appears verbatim gains this share of the keyword's weight
UNSEEN_PENALTY = 0.1    # share of the question the knowledge base has never seen counts against it
ACCEPT = 0.17           # raw score at which an answer is given (calibrated confidence 0.5)
MAX_UNSEEN = 0.65       # a question mostly made of words the knowledge base never uses is declined
# (raw score, calibrated confidence) knots, fitted on tests/data/paraphrases.yaml; see docs/benchmarks.md
CALIBRATION = ((0.0, 0.0), (ACCEPT, 0.5), (0.3, 0.8), (0.5, 0.95), (1.0, 1.0))


@dataclass(frozen=True)
class Match:
    """One ranked entry: `raw` similarity and calibrated `confidence`, both in [0, 1]."""

    entry_id: str
    title: str
    raw: float
    unseen: float = 0.0

    @property
    def confidence(self) -> float:
        return calibrate(self.raw) if self.unseen <= MAX_UNSEEN else min(calibrate(self.raw), 0.49)

    @property
    def accepted(self) -> bool:
        return self.raw >= ACCEPT and self.unseen <= MAX_UNSEEN


def calibrate(raw: float) -> float:
    """Piecewise-linear map from raw score to the probability that the top answer is right."""
    for (x0, y0), (x1, y1) in zip(CALIBRATION, CALIBRATION[1:]):
        if raw <= x1:
            return round(y0 + (y1 - y0) * (max(raw, x0) - x0) / (x1 - x0), 3)
    return 1.0


def features(text: str) -> dict[str, float]:
    """Bigrams (weight 1) and CJK unigrams (UNIGRAM_WEIGHT) of a normalized text, per word."""
    feats: dict[str, float] = {}
    for word in text.split(" "):
        for i in range(len(word) - 1):
            feats[word[i:i + 2]] = 1.0
        for ch in word:
            if "\u3400" <= ch <= "\u9fff":
                feats.setdefault(ch, UNIGRAM_WEIGHT)
        if len(word) == 1 and word not in feats:
            feats[word] = UNIGRAM_WEIGHT
    return feats


class Synonyms:
    """Rewrites variant terms to their canonical term, longest match first."""

    def __init__(self, groups: tuple[tuple[str, ...], ...]):
        mapping: dict[str, str] = {}
        for group in groups:
            canonical = normalize_text(group[0])
            for term in group:
                mapping[normalize_text(term)] = canonical
        self.mapping = {k: v for k, v in mapping.items() if k}
        terms = sorted(self.mapping, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, terms))) if terms else None

    def canonical(self, text: str) -> str:
        if not self.pattern:
            return text
        return self.pattern.sub(lambda m: self.mapping[m.group(0)], text)


class Matcher:
    """An index over one KnowledgeBase; build once per KB version, then call rank()."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.synonyms = Synonyms(kb.synonyms)
        self.entry_ids: list[str] = []
        self.titles: list[str] = []
        self.keywords: list[tuple[tuple[str, float], ...]] = []
        raw_docs: list[tuple[int, dict[str, float], float]] = []
        lexicon: set[str] = set()
        for idx, entry in enumerate(kb.entries):
            self.entry_ids.append(entry.id)
            self.titles.append(entry.title)
            texts = [(entry.title, TITLE_FACTOR)] + [(q, 1.0) for q in entry.questions]
            texts += [(k, KEYWORD_FACTOR) for k in entry.keywords]
            self.keywords.append(tuple(self.synonyms.canonical(normalize_text(k)) for k in entry.keywords))
            for text, factor in texts:
                canon = self.synonyms.canonical(normalize_text(text))
                if canon:
                    raw_docs.append((idx, features(canon), factor))
            lexicon.update((entry.category, *entry.keywords))
        for group in kb.synonyms:
            lexicon.update(group)
        terms = {normalize_text(t) for t in lexicon}
        self._build(raw_docs, terms | {self.synonyms.canonical(t) for t in terms})

    def _build(self, raw_docs, lexicon: set[str]) -> None:
        entry_sets: dict[str, set[int]] = defaultdict(set)
        for idx, feats, _ in raw_docs:
            for f in feats:
                entry_sets[f].add(idx)
        n = max(len(self.entry_ids), 1)
        self.idf = {f: math.log(1 + n / len(s)) for f, s in entry_sets.items()}
        self.unseen_idf = math.log(1 + n)
        self.docs: list[tuple[int, dict[str, float], float, float]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for idx, feats, factor in raw_docs:
            weighted = {f: t * self.idf[f] for f, t in feats.items()}
            doc_no = len(self.docs)
            self.docs.append((idx, weighted, sum(weighted.values()), factor))
            for f in weighted:
                self.postings[f].append(doc_no)
        self.typos = TypoFixer({f for f in self.idf if len(f) == 2}, lexicon)
        self.keywords = [tuple((k, sum(t * self.idf[f] for f, t in features(k).items())) for k in kws if k)
                         for kws in self.keywords]

    def prepare(self, normalized: str) -> str:
        """Canonical synonyms and repaired typos: the form that is scored."""
        return self.synonyms.canonical(self.typos.fix(self.synonyms.canonical(normalized)))

    def rank(self, normalized: str, limit: int = 5) -> list[Match]:
        """Top entries for an already-normalized question, best first."""
        query = self.prepare(normalized)
        feats = features(query)
        if not feats:
            return []
        qw = {f: t * self.idf.get(f, self.unseen_idf) for f, t in feats.items()}
        q_total = sum(qw.values())
        unseen = sum(w for f, w in qw.items() if f not in self.idf) / q_total
        partial: dict[int, float] = defaultdict(float)
        for f, w in qw.items():
            posting = self.postings.get(f)
            if posting and len(posting) <= POSTING_CAP:
                for d in posting:
                    partial[d] += w
        shortlist = sorted(partial, key=partial.__getitem__, reverse=True)[:SHORTLIST]
        best: dict[int, float] = {}
        for d in shortlist:
            idx, dw, d_total, factor = self.docs[d]
            overlap = sum(min(w, dw[f]) for f, w in qw.items() if f in dw)
            score = factor * 2 * overlap / (q_total + d_total) - UNSEEN_PENALTY * unseen
            if score > best.get(idx, 0.0):
                best[idx] = score
        for idx in best:
            hit = sum(w for k, w in self.keywords[idx] if k in query)
            if hit:
                best[idx] += KEYWORD_BONUS * min(hit / q_total, 1.0)
        top = sorted(best.items(), key=lambda kv: (-kv[1], self.entry_ids[kv[0]]))[:limit]
        return [Match(self.entry_ids[i], self.titles[i], round(max(s, 0.0), 4), round(unseen, 4)) for i, s in top]
