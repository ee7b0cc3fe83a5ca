"""Rank many questions at once: exactly [matcher.rank(q, limit) for q in queries], only much faster.

rank() scores every document for one question. Here features are split into rare ones (short postings)
and common ones (long postings). Documents holding a rare feature of a question are candidates. Any other
document shares only common features with it, so its overlap depends only on its signature (the common
features it holds): documents are grouped by (signature, factor), and within a group every question
orders them by (total weight, entry id). So only a group's first documents, up to limit + 1 distinct
entries, can reach the top, and a bound per question and group skips groups that cannot beat the other
candidates at all. Entries with a keyword in the question have all their documents scored (the bonus
can lift any of them).

Candidates are scored approximately (numpy, any summation order, error bounded by eps), then the few
entries that can still be in the top are scored again with rank()'s own arithmetic (the same operations
in the same order), so scores, ties and rounding come out identical. That no document left out ties
with the result is proved exactly; a question for which that fails (float ties at a group's edge), or
that holds a newline, is ranked by rank() itself, as is everything when limit <= 0. Above limit 8 the
candidates are not pruned by a lower bound first (exact still, only slower).

At 10,000 entries (30,200 example questions) this takes about 0.6 s where rank() one by one takes
about 30 s; memory peaks about 90 MB above the Matcher's.
"""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import numpy as np

from knowledge.index import UNIGRAM_WEIGHT
from knowledge.match import KEYWORD_BONUS, UNSEEN_PENALTY, Match, Matcher

_SEP, _SPACE, _PLANE = 10, 32, 0x110000
_CHUNK = 4096              # questions ranked together (at most)
_CELLS = 1 << 22           # question x group cells per chunk (at most)
_TABLE = 1 << 21           # scratch slots for numbering distinct (question, document or entry) pairs
_MAX_COMMON = 256          # features treated as common (at most)
_BASE, _MIX = np.uint64(0x100000001B3), np.uint64(0x9E3779B97F4A7C15)
_statics: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rank_many(matcher: Matcher, queries: list[str], limit: int = 2) -> list[list[Match]]:
    """[matcher.rank(q, limit) for q in queries] (already-normalized questions), computed together."""
    if limit <= 0 or not queries:
        return [matcher.rank(q, limit) for q in queries]
    st = _statics.get(matcher)
    if st is None:
        st = _statics[matcher] = _Static(matcher)
    out: list = [None] * len(queries)
    if st.usable:
        groups, table = st.prefixes(limit + 1), np.empty(max(_TABLE, st.n_docs, st.n_entries), dtype=np.int32)
        plain = [i for i, q in enumerate(queries) if "\n" not in q]
        size = max(64, min(_CHUNK, _CELLS // max(st.n_groups, st.n_common, 1)))
        for a in range(0, len(plain), size):
            chunk = plain[a:a + size]
            for i, ranked in zip(chunk, _rank_chunk(st, groups, [queries[i] for i in chunk], limit, table)):
                out[i] = ranked
    return [r if r is not None else matcher.rank(q, limit) for q, r in zip(queries, out)]


def _fold(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each segment's values added one by one from 0.0, as Python's sum() and np.bincount() add them."""
    out = np.zeros(len(lengths))
    if not len(values) or not len(lengths):
        return out
    order = np.argsort(-lengths, kind="stable")
    first, size = starts[order], lengths[order]
    longer = len(size) - np.cumsum(np.bincount(size))   # longer[j]: segments with more than j values
    acc = np.zeros(len(size))
    for j in range(int(size[0])):
        acc[:longer[j]] += values[first[:longer[j]] + j]
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
    if k > 8:   # sort
        ranked = values[np.lexsort((-values, np.repeat(np.arange(len(starts)), size)))]
        return np.where(size >= k, ranked[np.minimum(starts + k - 1, len(values) - 1)], -np.inf)
    v, top = values.copy(), np.full(len(starts), -np.inf)
    for _ in range(k):   # the k-th distinct value
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
        order = sorted(range(self.n_entries), key=lambda e: (m.entry_ids[e], e))   # rank()'s tie order
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
        common = np.sort(common[self.lens[common] > max(64, int(2 * self.n_docs ** 0.5))])
        c = self.n_common = len(common)
        self.cidx = np.full(len(self.lens) + 1, c, np.int64)   # column -> common index (c: none; -1 too)
        self.cidx[common] = np.arange(c)
        docs = self.postings[_expand(self.bounds[common], self.lens[common])]
        feature = np.repeat(np.arange(c), self.lens[common])
        self.words = max(1, (c + 63) // 64)
        self.gid, first, bits = _classes(self.n_docs, docs, feature, self.words, [self.f2])
        self.n_groups = g = len(first)
        self.sig = np.zeros((g, c + 1), bool)    # last column: "not a common feature", never held
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
        new[order] = _new(key[order])                           # the entry's first document in its group
        seen = np.cumsum(new)
        seen -= np.repeat(np.r_[0, seen][start[:-1]], np.diff(start))
        end = start[1:].copy()                                  # the prefix is [start, end)
        kth = np.flatnonzero(new & (seen == k))
        end[gid[kth]] = kth + 1
        tail, last = end < start[1:], total[end - 1]
        ids, total_ = np.r_[self.idrank[entry], np.iinfo(np.int64).max], np.r_[total, np.inf]
        # After the prefix: documents with its last total (from ids[end] on), then higher totals from `after`.
        new_total = np.r_[_new(total) | _new(gid), True]
        after = np.where(tail, np.minimum.accumulate(np.where(new_total, np.arange(n + 1), n)[::-1])[::-1][end],
                         start[1:])
        has_after = after < start[1:]
        p = SimpleNamespace(start=start[:-1], length=end - start[:-1], docs=docs, tail=tail, last=last,
                            first=total[start[:-1]], eq=tail & (total_[end] == last), eq_id=ids[end],
                            has_after=has_after, after=np.where(has_after, total_[after], last),
                            after_id=np.minimum.reduceat(ids, np.ravel(np.column_stack([after, start[1:]])))[::2])
        p.tmin = p.first[self.sig[:, :-1].any(axis=1)].min(initial=np.inf)   # of groups with a common feature
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
            self.usable &= bool(np.all(_new(h[order])))   # two keywords with one hash: never seen, stay exact
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
            alive = self.kw_prefix[_slot(h, n)]     # windows that may grow into a keyword
            at, h = at[alive], h[alive]
        positions, numbers = np.concatenate(positions or [at[:0]]), np.concatenate(numbers or [at[:0]])
        found = np.sort(line[positions] * self.kw_count + numbers)
        q, kw = np.divmod(found[_new(found)], max(self.kw_count, 1))
        picked = _expand(self.kw_start[kw], self.kw_length[kw])
        q = np.repeat(q, self.kw_length[kw])
        owner, position, weight = self.kw_owner[picked], self.kw_position[picked], self.kw_weight[picked]
        order = np.lexsort((position, owner, q))    # each entry's keywords in order, as rank() adds them
        q, owner, weight = q[order], owner[order], weight[order]
        first = np.flatnonzero(_new(q) | _new(owner))
        return q[first], owner[first], _fold(weight, first, np.diff(np.r_[first, len(q)]))


def _prepare(st: _Static, queries: list[str]) -> list[str]:
    """[matcher.prepare(q) for q in queries]: typo repair only runs where an unseen bigram is."""
    first = st.synonyms.canonical_many(queries)
    ch = _codes(first)
    cjk = (ch >= 0x4E00) & (ch <= 0x9FFF)
    pair = np.flatnonzero(cjk[:-1] & cjk[1:])
    unseen = pair[st.bigram_cols(ch[pair] * _PLANE + ch[pair + 1] + _PLANE) < 0]
    fixed = list(first)
    for i in set(np.cumsum(ch == _SEP)[unseen].tolist()):
        fixed[i] = st.typos.fix(first[i])
    return st.synonyms.canonical_many(fixed)


def _features(st: _Static, ch: np.ndarray, nq: int) -> SimpleNamespace:
    """Every question's features in features() order (word by word: bigrams, then unigrams), each once."""
    line = np.cumsum(ch == _SEP)
    inw = (ch != _SEP) & (ch != _SPACE)
    nxt, prv = np.r_[inw[1:], False], np.r_[False, inw[:-1]]
    start, end = inw & ~prv, inw & ~nxt
    uni = inw & (((ch >= 0x3400) & (ch <= 0x9FFF)) | (start & end))
    big, un = np.flatnonzero(inw & nxt), np.flatnonzero(uni)
    ws, we, ucum, wid = np.flatnonzero(start), np.flatnonzero(end) + 1, np.cumsum(uni), np.cumsum(start) - 1
    before, nb = ucum[ws] - uni[ws], we - ws - 1           # unigrams before each word, bigrams in it
    size = nb + ucum[we - 1] - before
    base = np.cumsum(size) - size
    wb, wu = wid[big], wid[un]
    slot = np.r_[base[wb] + big - ws[wb], base[wu] + nb[wu] + ucum[un] - 1 - before[wu]]
    code, q, isbig = np.empty(len(slot), np.int64), np.empty(len(slot), np.int64), np.zeros(len(slot), bool)
    code[slot] = np.r_[ch[big] * _PLANE + ch[big + 1] + _PLANE, ch[un]]
    q[slot], isbig[slot[:len(big)]] = line[np.r_[big, un]], True
    keep = _firsts((q << 42) | code)           # each feature once per question, where it first occurs
    code, q, isbig = code[keep], q[keep], isbig[keep]
    col = np.where(isbig, -1, st.uni_col[np.where(isbig, 0, code)])
    col[isbig] = st.bigram_cols(code[isbig])
    known = col >= 0
    w = np.where(isbig, 1.0, UNIGRAM_WEIGHT) * np.where(known, st.idf[np.maximum(col, 0)], st.unseen_idf)
    qn = np.bincount(q, minlength=nq)
    qstart = np.cumsum(qn) - qn
    qt = _fold(w, qstart, qn)
    unseen = _fold(np.where(known, 0.0, w), qstart, qn) / np.where(qn > 0, qt, 1.0)
    return SimpleNamespace(q=q, col=col, known=known, w=w, cidx=st.cidx[col], qn=qn, qstart=qstart, qt=qt,
                           unseen=unseen, pen=UNSEEN_PENALTY * unseen, alive=np.bincount(q[known], minlength=nq) > 0,
                           eps=(st.f2max + 1.0) * (qn + 8) * 1e-15)   # bound of any approximate score's error


def _rank_chunk(st: _Static, pre: SimpleNamespace, queries: list[str], limit: int,
                table: np.ndarray) -> list[list[Match] | None]:
    """Rankings of up to _CHUNK questions; None where rank() itself must decide."""
    ch, nq, c, n_e = _codes(_prepare(st, queries)), len(queries), st.n_common, st.n_entries
    if not len(ch):
        return [[]]     # one empty question
    f = _features(st, ch, nq)
    # Candidates: documents holding a rare feature of the question (rare overlap added up exactly), ...
    rare = np.flatnonzero(f.known & (f.cidx == c))
    lens = st.lens[f.col[rare]]
    pf = np.repeat(rare, lens)
    pdoc = st.postings[_expand(st.bounds[f.col[rare]], lens)]
    prow, first = _number(np.repeat(f.q[rare] * st.n_docs, lens) + pdoc, st.n_docs, table)
    # ... every document of an entry with a keyword in the question, ...
    hq, he, hw = st.keyword_hits(ch, np.cumsum(ch == _SEP))    # (a keyword is a document of its entry)
    hcount, bonus_hit = st.entry_count[he], KEYWORD_BONUS * np.minimum(hw / f.qt[hq], 1.0)
    # ... and the first documents of the groups that may still reach the top. A question's overlap with a
    # group's common features depends only on which common features it holds: computed once per such set.
    com = np.flatnonzero(f.known & (f.cidx < c))
    kind, _, bits = _classes(nq, f.q[com], f.cidx[com], st.words)
    weight = np.zeros(c)
    weight[f.cidx[com]] = f.w[com]              # a feature weighs the same in every question
    ovg = np.einsum("sc,cg->sg", bits[:, :c] * weight, st.sig_mat)[kind]   # (no BLAS: no threads left spinning)
    rq = np.r_[f.q[pf[first]], np.repeat(hq, hcount)]
    rd = np.r_[pdoc[first], _expand(st.entry_start[he], hcount)]
    rid = np.r_[np.arange(len(first)), np.full(int(hcount.sum()), -1)]   # rare row number, or -1

    def approx(q, d, ov):
        return st.f2[d] * (ov + ovg[q, st.gid[d]]) / (f.qt[q] + st.totals[d]) - f.pen[q]

    rov = np.zeros(len(rd))
    rov[:len(first)] = np.bincount(prow, np.repeat(f.w[rare], lens), len(first))
    a = approx(rq, rd, rov)
    # A lower bound of the limit-th best entry: the limit-th best of distinct entries among these rows.
    entry, lower = st.doc_entry[rd], np.full(nq, -np.inf)
    value = np.where(a > f.eps[rq], a + np.r_[np.zeros(len(first)), np.repeat(bonus_hit, hcount)], -np.inf)
    for _ in range(limit if limit <= 8 else 0):
        lower, pick = np.full(nq, -np.inf), np.full(nq, -1)
        np.maximum.at(lower, rq, value)
        top = value == lower[rq]
        pick[rq[top]] = entry[top]
        value[entry == pick[rq]] = -np.inf
    lower -= 2 * f.eps
    # Rows that cannot reach it are dropped, and so are groups whose first document cannot.
    most_bonus = np.zeros(nq)
    np.maximum.at(most_bonus, hq, bonus_hit)
    keep = a + most_bonus[rq] >= lower[rq]
    rq, rd, rid, a = rq[keep], rd[keep], rid[keep], a[keep]
    common = np.bincount(f.q[com], weights=f.w[com], minlength=nq)
    reach = st.f2max * common / (f.qt + pre.tmin) - f.pen + 2 * f.eps
    open_ = np.flatnonzero(f.alive & (common > 0) & (reach > 0) & (reach >= lower))
    og = ovg[open_]
    bound = st.group_f2 * og / (f.qt[open_, None] + pre.first) - f.pen[open_, None] + f.eps[open_, None]
    sq, sg = np.nonzero((og > 0) & (bound > 0) & (bound >= lower[open_, None]))
    sq = open_[sq]
    reps = pre.docs[_expand(pre.start[sg], pre.length[sg])]
    rep_q = np.repeat(sq, pre.length[sg])
    rq, rd = np.r_[rq, rep_q], np.r_[rd, reps]
    rid, a = np.r_[rid, np.full(len(reps), -1)], np.r_[a, approx(rep_q, reps, np.zeros(len(reps)))]
    # Per (question, entry): best approximate score and keyword bonus; the entries that may be in the top.
    order = np.argsort(rq.astype(np.int16), kind="stable")
    rq, rd, rid, a = rq[order], rd[order], rid[order], a[order]
    key = rq * n_e + st.doc_entry[rd]
    number, firsts = _number(key, n_e, table)
    best = np.full(len(firsts), -np.inf)
    np.maximum.at(best, number, a)
    key, eq, ee = key[firsts], rq[firsts], st.doc_entry[rd[firsts]]
    hit_key = hq * n_e + he
    at = np.minimum(np.searchsorted(hit_key, key), max(len(hit_key) - 1, 0))
    bonus = np.where(hit_key[at] == key, bonus_hit[at], 0.0) if len(hit_key) else np.zeros(len(key))
    starts, total = np.flatnonzero(_new(eq)), best + bonus
    cut = np.repeat(_kth(np.where(best > f.eps[eq], total, -np.inf), starts, limit), np.diff(np.r_[starts, len(eq)]))
    finalist = (best > -f.eps[eq]) & (total >= cut - 2 * f.eps[eq]) & f.alive[eq]
    rows = np.flatnonzero(finalist[number] & (a >= best[number] - 2 * f.eps[rq]))

    def exact(q, g, f2, totals, rare_id):
        """rank()'s arithmetic: the overlap added up feature by feature in the question's order."""
        n = f.qn[q]
        at, qf = np.cumsum(n) - n, _expand(f.qstart[q], n)
        cells = np.where(st.sig_flat[np.repeat(g, n) * (c + 1) + f.cidx[qf]], f.w[qf], 0.0)
        to_row = np.full(len(first), -1)
        to_row[rare_id[rare_id >= 0]] = np.flatnonzero(rare_id >= 0)
        pick = np.flatnonzero(to_row[prow] >= 0)
        cells[at[to_row[prow[pick]]] + pf[pick] - f.qstart[f.q[pf[pick]]]] = f.w[pf[pick]]
        return f2 * _fold(cells, at, n) / (f.qt[q] + totals) - f.pen[q]

    d = rd[rows]
    exact_best = np.full(len(best), -np.inf)
    np.maximum.at(exact_best, number[rows], exact(rq[rows], st.gid[d], st.f2[d], st.totals[d], rid[rows]))
    fe = np.flatnonzero(finalist & (exact_best > 0))
    fq, fentry, ftotal = eq[fe], ee[fe], exact_best[fe] + bonus[fe]
    order = np.lexsort((st.idrank[fentry], -ftotal, fq))
    fq, fentry, ftotal = fq[order], fentry[order], ftotal[order]
    place = np.arange(len(fq)) - np.searchsorted(fq, fq)
    # The proof: every document left out of a group scores below the limit-th entry, or ties it from a
    # later id (or cannot be positive). Bounds first, exact scores where they do not settle it.
    at_limit = np.flatnonzero(place == limit - 1)
    score_l, id_l, full = np.zeros(nq), np.zeros(nq, np.int64), np.zeros(nq, bool)
    score_l[fq[at_limit]], id_l[fq[at_limit]], full[fq[at_limit]] = ftotal[at_limit], st.idrank[fentry[at_limit]], True
    sq, sg = sq[pre.tail[sg]], sg[pre.tail[sg]]

    def settled(s_after, s_last, exact_ties):
        sl, fl, il = score_l[sq], full[sq], id_l[sq]
        return ((~pre.has_after[sg] | (s_after <= 0) | (fl & ((s_after < sl) | exact_ties & (s_after == sl)
                                                                & (pre.after_id[sg] >= il))))
                & (~pre.eq[sg] | (s_last <= 0) | (fl & ((s_last < sl) | exact_ties & (s_last == sl)
                                                        & (pre.eq_id[sg] >= il)))))

    og, gf2 = ovg[sq, sg], st.group_f2[sg]
    ok = settled(gf2 * og / (f.qt[sq] + pre.after[sg]) - f.pen[sq] + f.eps[sq],
                 gf2 * og / (f.qt[sq] + pre.last[sg]) - f.pen[sq] + f.eps[sq], False)
    sq, sg = sq[~ok], sg[~ok]
    none = np.full(len(sq), -1)
    gf2 = st.group_f2[sg]
    ok = settled(exact(sq, sg, gf2, pre.after[sg], none), exact(sq, sg, gf2, pre.last[sg], none), True)
    out: list = [[] for _ in range(nq)]
    ids, titles, unseen = st.entry_ids, st.titles, _round4(f.unseen)
    win = place < limit
    for q, e, raw in zip(fq[win].tolist(), fentry[win].tolist(), _round4(np.maximum(ftotal[win], 0.0))):
        out[q].append(Match(ids[e], titles[e], raw, unseen[q]))
    for q in set(sq[~ok].tolist()):
        out[q] = None
    return out
