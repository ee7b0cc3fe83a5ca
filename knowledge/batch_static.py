"""What knowledge.batch_rank derives once per Matcher (feature lookup, document groups, keyword hashes), and
the numpy helpers it shares with the ranking: split out of batch_rank.py to keep each module readable."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from knowledge.match import Matcher

_PLANE = 0x110000  # code points
_MAX_COMMON = 256  # features treated as common (at most)
_BASE, _MIX = np.uint64(0x100000001B3), np.uint64(0x9E3779B97F4A7C15)


def _fold(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each segment's values added one by one from 0.0, as Python's sum() and np.bincount() add them."""
    out = np.zeros(len(lengths))
    if not len(values) or not len(lengths):
        return out
    order = np.argsort(-lengths, kind="stable")
    first, size = starts[order], lengths[order]
    longer = len(size) - np.cumsum(np.bincount(size))  # longer[j]: segments with more than j values
    acc = np.zeros(len(size))
    for j in range(int(size[0])):
        acc[: longer[j]] += values[first[: longer[j]] + j]
    out[order] = acc
    return out


def _number(keys: np.ndarray, per: int, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct keys = question * per + item (questions non-decreasing): each key's number,
    and per number the index of one key holding it (increasing)."""
    n, span = len(keys), max(1, len(table) // per) * per
    rep, index = np.empty(n, np.int64), np.arange(n, dtype=table.dtype)
    # Blocks of whole questions (a binary search is right: "key < k * span" is monotone along keys).
    cuts = np.searchsorted(keys, np.arange(1, keys[-1] // span + 1) * span).tolist() if n else []
    for a, z in zip([0] + cuts, cuts + [n]):
        if z > a:
            local = keys[a:z] - keys[a] // span * span
            table[local] = index[a:z]
            rep[a:z] = table[local]
    firsts = np.flatnonzero(rep == index)
    number = np.empty(n, np.int64)
    number[firsts] = np.arange(len(firsts))
    return number[rep], firsts


def _new(x: np.ndarray) -> np.ndarray:
    """Where a run of equal values starts."""
    new = np.ones(len(x), bool)
    new[1:] = x[1:] != x[:-1]
    return new


def _firsts(key: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each distinct key: by hashing, sorting only colliding keys."""
    n = len(key)
    bits = max(10, n.bit_length() + 2)
    slot = ((key.astype(np.uint64) * _MIX) >> np.uint64(64 - bits)).astype(np.intp)
    table, index = np.full(1 << bits, n, np.int64), np.arange(n)
    np.minimum.at(table, slot, index)
    first = table[slot] == index
    # A key whose slot first holds another key: all its occurrences are in that case, so sort just those.
    unsure = np.flatnonzero(~first & (key[table[slot]] != key))
    order = unsure[np.argsort(key[unsure], kind="stable")]
    first[order[_new(key[order])]] = True
    return first


def _kth(values: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
    """Per non-empty segment, a lower bound of its k-th largest value (-inf when it has fewer)."""
    size = np.diff(np.r_[starts, len(values)])
    if k > 8:  # sort
        ranked = values[np.lexsort((-values, np.repeat(np.arange(len(starts)), size)))]
        return np.where(size >= k, ranked[np.minimum(starts + k - 1, len(values) - 1)], -np.inf)
    v, top = values.copy(), np.full(len(starts), -np.inf)
    for _ in range(k):  # the k-th distinct value
        top = np.maximum.reduceat(v, starts) if len(v) else top
        v[v >= np.repeat(top, size)] = -np.inf
    return top


def _round4(x: np.ndarray) -> list[float]:
    """[round(v, 4) for v in x]: numpy rounds the same except next to a half (or when huge)."""
    scaled = x * 1e4
    out = (np.round(scaled) / 1e4).tolist()
    for i in np.flatnonzero(~(np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) | ~(np.abs(x) < 1e9)).tolist():
        out[i] = round(float(x[i]), 4)
    return out


def _codes(texts: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.int64)


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated ranges [start, start + length)."""
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


def _classes(n: int, rows: np.ndarray, feature: np.ndarray, words: int, extra=()) -> tuple:
    """Rows 0..n-1 classed by the set of features they hold (and by `extra` keys): each row's class, one
    row of each class, and each class's features as bits."""
    sig = np.zeros((n, words), np.uint64)
    np.bitwise_or.at(sig, (rows, feature >> 6), np.left_shift(np.uint64(1), (feature & 63).astype(np.uint64)))
    keys = [sig[:, i] for i in range(words)] + list(extra)
    order = np.lexsort(keys)
    change = np.logical_or.reduce([_new(key[order]) for key in keys])
    kind = np.empty(n, np.int64)
    kind[order] = np.cumsum(change) - 1
    first = order[change]
    bits = np.unpackbits(sig[first].astype("<u8").view(np.uint8).reshape(len(first), -1), axis=1, bitorder="little")
    return kind, first, bits


def _slot(h: np.ndarray, n: int) -> np.ndarray:
    return ((h + np.uint64(n)) * _MIX) >> np.uint64(42)


class _Static:
    """What rank_many() derives once per Matcher: feature lookup, groups, keyword hashes."""

    def __init__(self, m: Matcher):
        ix = m.index
        # Never the Matcher itself: this is the value of a weak mapping keyed by it.
        self.synonyms, self.typos, self.entry_ids, self.titles = m.synonyms, m.typos, m.entry_ids, m.titles
        self.unseen_idf, self.idf = m.unseen_idf, np.array(ix.idf, dtype=float)
        self.bounds = np.array(ix.bounds, dtype=np.int64)
        # (typo repair looks bigrams up in the index: then only a question with an unseen one can change)
        self.usable = ix.n_docs > 0 and bool(ix.ids) and m.typos.known is ix.ids
        if not self.usable:
            return
        self.lens = np.diff(self.bounds)
        self.postings, self.totals, self.f2, self.doc_entry = ix.postings, ix.totals, m.doc_factor2, m.doc_entry
        self.n_docs, self.n_entries = ix.n_docs, len(m.entry_ids)
        self.f2max = float(self.f2.max(initial=0.0))
        order = sorted(range(self.n_entries), key=lambda e: (m.entry_ids[e], e))  # rank()'s tie order
        self.idrank = np.empty(self.n_entries, np.int64)
        self.idrank[order] = np.arange(self.n_entries)
        self.entry_count = np.bincount(self.doc_entry, minlength=self.n_entries)
        self.entry_start = np.cumsum(self.entry_count) - self.entry_count
        # Feature code -> column: a unigram's code is its code point, a bigram's PLANE * (first + 1) + second.
        keys = list(ix.ids)
        cols, size = np.fromiter(ix.ids.values(), np.int64, len(keys)), np.fromiter(map(len, keys), np.int64, len(keys))
        cp, at = _codes(["".join(keys)]), np.cumsum(size) - size
        self.uni_col = np.full(_PLANE, -1, np.int32)
        self.uni_col[cp[at[size == 1]]] = cols[size == 1]
        two = at[size == 2]
        bigrams = cp[two] * _PLANE + cp[two + 1] + _PLANE
        order = np.argsort(bigrams)
        self.bi_codes, self.bi_cols = bigrams[order], cols[size == 2][order]
        self._groups()
        self._keywords(m)
        self._prefixes: dict[int, SimpleNamespace] = {}

    def bigram_cols(self, codes: np.ndarray) -> np.ndarray:
        if not len(self.bi_codes):
            return np.full(len(codes), -1, np.int64)
        at = np.minimum(np.searchsorted(self.bi_codes, codes), len(self.bi_codes) - 1)
        return np.where(self.bi_codes[at] == codes, self.bi_cols[at], -1)

    def _groups(self) -> None:
        """Common features (the longest postings); documents grouped by (common features held, factor)."""
        common = np.argsort(-self.lens, kind="stable")[:_MAX_COMMON]
        common = np.sort(common[self.lens[common] > max(64, int(2 * self.n_docs**0.5))])
        c = self.n_common = len(common)
        self.cidx = np.full(len(self.lens) + 1, c, np.int64)  # column -> common index (c: none; -1 too)
        self.cidx[common] = np.arange(c)
        docs = self.postings[_expand(self.bounds[common], self.lens[common])]
        feature = np.repeat(np.arange(c), self.lens[common])
        self.words = max(1, (c + 63) // 64)
        self.gid, first, bits = _classes(self.n_docs, docs, feature, self.words, [self.f2])
        self.n_groups = g = len(first)
        self.sig = np.zeros((g, c + 1), bool)  # last column: "not a common feature", never held
        self.sig[:, :c] = bits[:, :c]
        self.sig_flat, self.sig_mat, self.group_f2 = self.sig.ravel(), self.sig[:, :c].T.astype(float), self.f2[first]
        # Each group's documents by (total, entry id): the order in which every question ranks them.
        self.group_docs = np.lexsort((np.arange(self.n_docs), self.idrank[self.doc_entry], self.totals, self.gid))
        self.group_start = np.searchsorted(self.gid[self.group_docs], np.arange(g + 1))

    def prefixes(self, k: int) -> SimpleNamespace:
        """Per group: its first documents holding k distinct entries, and what the rest may score."""
        if k in self._prefixes:
            return self._prefixes[k]
        docs, start, n = self.group_docs, self.group_start, self.n_docs
        gid, total, entry = self.gid[docs], self.totals[docs], self.doc_entry[docs]
        key = gid * self.n_entries + entry
        order = np.argsort(key, kind="stable")
        new = np.empty(n, bool)
        new[order] = _new(key[order])  # the entry's first document in its group
        seen = np.cumsum(new)
        seen -= np.repeat(np.r_[0, seen][start[:-1]], np.diff(start))
        end = start[1:].copy()  # the prefix is [start, end)
        kth = np.flatnonzero(new & (seen == k))
        end[gid[kth]] = kth + 1
        tail, last = end < start[1:], total[end - 1]
        ids, total_ = np.r_[self.idrank[entry], np.iinfo(np.int64).max], np.r_[total, np.inf]
        # After the prefix: documents with its last total (from ids[end] on), then higher totals from `after`.
        new_total = np.r_[_new(total) | _new(gid), True]
        after = np.where(
            tail, np.minimum.accumulate(np.where(new_total, np.arange(n + 1), n)[::-1])[::-1][end], start[1:]
        )
        has_after = after < start[1:]
        p = SimpleNamespace(
            start=start[:-1],
            length=end - start[:-1],
            docs=docs,
            tail=tail,
            last=last,
            first=total[start[:-1]],
            eq=tail & (total_[end] == last),
            eq_id=ids[end],
            has_after=has_after,
            after=np.where(has_after, total_[after], last),
            after_id=np.minimum.reduceat(ids, np.ravel(np.column_stack([after, start[1:]])))[::2],
        )
        p.tmin = p.first[self.sig[:, :-1].any(axis=1)].min(initial=np.inf)  # of groups with a common feature
        self._prefixes[k] = p
        return p

    def _keywords(self, m: Matcher) -> None:
        """Hashes of the keywords (canonical forms) by length, and a bitmap of all their prefixes."""
        words, by_length = list(m.keyword_span), {}
        self.kw_owner, self.kw_position, self.kw_weight = m.keyword_owner, m.keyword_position, m.keyword_weight
        self.kw_start = np.array([m.keyword_span[w][0] for w in words], np.int64)
        self.kw_length = np.array([m.keyword_span[w][1] for w in words], np.int64) - self.kw_start
        self.kw_count, self.kw_prefix, self.kw_by_length = len(words), np.zeros(1 << 22, bool), {}
        for i, w in enumerate(words):
            by_length.setdefault(len(w), []).append(i)
        for n, numbers in sorted(by_length.items()):
            numbers = np.array(numbers, np.int64)
            codes = _codes(["".join(words[i] for i in numbers)]).astype(np.uint64).reshape(-1, n)
            h = np.zeros(len(codes), np.uint64)
            for i, column in enumerate(codes.T):
                h = h * _BASE + column
                self.kw_prefix[_slot(h, i + 1)] = True
            order = np.argsort(h)
            self.usable &= bool(np.all(_new(h[order])))  # two keywords with one hash: never seen, stay exact
            self.kw_by_length[n] = (h[order], numbers[order], codes[order])

    def keyword_hits(self, ch: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(question, entry, summed keyword weight) of every entry with a keyword inside a question."""
        text = ch.astype(np.uint64)
        at, h, positions, numbers = np.arange(len(text)), np.zeros(len(text), np.uint64), [], []
        for n in range(1, max(self.kw_by_length, default=0) + 1):
            inside = at + (n - 1) < len(text)
            at, h = at[inside], h[inside] * _BASE + text[at[inside] + (n - 1)]
            if n in self.kw_by_length:
                hashes, nums, codes = self.kw_by_length[n]
                k = np.minimum(np.searchsorted(hashes, h), len(hashes) - 1)
                hit = np.flatnonzero(hashes[k] == h)
                hit = hit[(text[at[hit, None] + np.arange(n)] == codes[k[hit]]).all(axis=1)]
                positions.append(at[hit])
                numbers.append(nums[k[hit]])
            alive = self.kw_prefix[_slot(h, n)]  # windows that may grow into a keyword
            at, h = at[alive], h[alive]
        positions, numbers = np.concatenate(positions or [at[:0]]), np.concatenate(numbers or [at[:0]])
        found = np.sort(line[positions] * self.kw_count + numbers)
        q, kw = np.divmod(found[_new(found)], max(self.kw_count, 1))
        picked = _expand(self.kw_start[kw], self.kw_length[kw])
        q = np.repeat(q, self.kw_length[kw])
        owner, position, weight = self.kw_owner[picked], self.kw_position[picked], self.kw_weight[picked]
        order = np.lexsort((position, owner, q))  # each entry's keywords in order, as rank() adds them
        q, owner, weight = q[order], owner[order], weight[order]
        first = np.flatnonzero(_new(q) | _new(owner))
        return q[first], owner[first], _fold(weight, first, np.diff(np.r_[first, len(q)]))
