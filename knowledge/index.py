"""A numpy inverted index of character n-gram features over many short documents.

A document's features are those of knowledge.match.features(): the bigrams inside each space-separated
word (type weight 1) and, at UNIGRAM_WEIGHT, each CJK character and each one-character word. A feature
weighs its type weight times its inverse entry frequency, the same on the question's side and the
document's, so the weighted overlap of a question with a document is a sum of the shared features'
weights: the index keeps, per feature, the sorted numbers of the documents holding it (CSC postings)
and adds them up for every document at once.
"""

from __future__ import annotations

import math

import numpy as np

UNIGRAM_WEIGHT = 0.3
_SEPARATOR = 10  # "\n" between documents
_SPACE = 32  # " " between words


def _decode(code_points: np.ndarray) -> str:
    return code_points.astype("<u4").tobytes().decode("utf-32-le")


class FeatureIndex:
    """Postings, weights and per-document weight totals for documents owned by entries.

    texts: each document's text (normalized, so without newlines); owners: the entry number of each
    document, in non-decreasing order; n_entries: how many entries there are (for the idf).
    """

    def __init__(self, texts: list[str], owners: list[int], n_entries: int):
        if any("\n" in t for t in texts):
            raise ValueError("document texts are normalized and hold no newline")
        self.n_docs = len(texts)
        self.n_entries = max(n_entries, 1)
        owner = np.array(owners, dtype=np.int64)
        codes, docs, alphabet = self._occurrences(texts)
        codes, docs = self._sorted_unique(codes, docs)
        new_feature = np.ones(len(codes), dtype=bool)
        new_feature[1:] = codes[1:] != codes[:-1]
        starts = np.flatnonzero(new_feature)
        feature_of = np.cumsum(new_feature) - 1
        unique = codes[starts]
        # Entry frequency: postings are sorted by document and documents by entry, so count owner changes.
        new_entry = new_feature.copy()
        if len(docs):
            doc_owner = owner[docs]
            new_entry[1:] |= doc_owner[1:] != doc_owner[:-1]
        entry_freq = np.bincount(feature_of[new_entry], minlength=len(unique))
        # math.log, as the scalar code computed it, once per distinct frequency
        by_freq = [0.0] + [math.log(1 + self.n_entries / k) for k in range(1, int(entry_freq.max(initial=0)) + 1)]
        idf = np.array(by_freq)[entry_freq]
        n_unigrams = int(np.searchsorted(unique, len(alphabet)))
        weight = idf * np.where(np.arange(len(unique)) < n_unigrams, UNIGRAM_WEIGHT, 1.0)
        self.idf: list[float] = idf.tolist()
        self.totals = np.bincount(docs, weights=weight[feature_of], minlength=self.n_docs)
        self.postings = docs
        self.bounds: list[int] = starts.tolist() + [len(docs)]
        self.ids: dict[str, int] = dict(zip(self._strings(unique, alphabet, n_unigrams), range(len(unique))))

    @staticmethod
    def _occurrences(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(feature code, document) of every feature occurrence, and the alphabet the codes index.

        With A letters in the alphabet, a unigram's code is its letter's rank (< A) and a bigram's is
        A + A * rank(first) + rank(second), so every unigram code sorts before every bigram code.
        """
        chars = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        if not len(chars):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        doc_of = np.cumsum(chars == _SEPARATOR)
        in_word = (chars != _SEPARATOR) & (chars != _SPACE)
        present = np.zeros(0x110000, dtype=bool)
        present[chars] = True
        alphabet = np.flatnonzero(present)
        rank = np.zeros(0x110000, dtype=np.int64)
        rank[alphabet] = np.arange(len(alphabet))
        ranks = rank[chars]
        size = len(alphabet)
        bigram_at = np.flatnonzero(in_word[:-1] & in_word[1:])
        lone = in_word.copy()
        lone[1:] &= ~in_word[:-1]
        lone[:-1] &= ~in_word[1:]
        unigram_at = np.flatnonzero(((chars >= 0x3400) & (chars <= 0x9FFF)) | lone)
        codes = np.concatenate([ranks[unigram_at], size + size * ranks[bigram_at] + ranks[bigram_at + 1]])
        docs = np.concatenate([doc_of[unigram_at], doc_of[bigram_at]])
        return codes, docs, alphabet

    def _sorted_unique(self, codes: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (code, document) pairs, ordered by code, then document."""
        doc_bits = max(self.n_docs, 1).bit_length()
        if int(codes.max(initial=0)).bit_length() + doc_bits <= 62:
            keys = np.sort((codes << doc_bits) | docs)
            keep = np.ones(len(keys), dtype=bool)
            keep[1:] = keys[1:] != keys[:-1]
            keys = keys[keep]
            return keys >> doc_bits, keys & ((1 << doc_bits) - 1)
        order = np.lexsort((docs, codes))
        codes, docs = codes[order], docs[order]
        keep = np.ones(len(codes), dtype=bool)
        keep[1:] = (codes[1:] != codes[:-1]) | (docs[1:] != docs[:-1])
        return codes[keep], docs[keep]

    @staticmethod
    def _strings(unique: np.ndarray, alphabet: np.ndarray, n_unigrams: int) -> list[str]:
        """The feature text of each code."""
        size = len(alphabet)
        unigrams = list(_decode(alphabet[unique[:n_unigrams]]))
        pairs = unique[n_unigrams:] - size
        joined = _decode(np.stack([alphabet[pairs // size], alphabet[pairs % size]], axis=1).ravel())
        return unigrams + [joined[i : i + 2] for i in range(0, len(joined), 2)]

    def overlaps(self, columns: list[int], weights: list[float]) -> np.ndarray:
        """Per document, the sum of `weights` of the listed features it holds (added in list order)."""
        if not columns:
            return np.zeros(self.n_docs)
        bounds, postings = self.bounds, self.postings
        parts = [postings[bounds[c] : bounds[c + 1]] for c in columns]
        lengths = [bounds[c + 1] - bounds[c] for c in columns]
        docs = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return np.bincount(docs, weights=np.repeat(weights, lengths), minlength=self.n_docs)
