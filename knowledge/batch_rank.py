"""Rank many questions at once: exactly [matcher.rank(q, limit) for q in queries], only much faster.

rank() scores every document for one question. Here features are split into rare ones (short
postings) and common ones (long postings). A document sharing a rare feature with a question is a
candidate ("touched"). Any other document shares only common features with it, so its overlap depends
only on its signature (the set of common features it holds): documents are grouped by (signature,
factor), and within a group every question orders them by (total weight, entry id). So only a group's
first documents up to limit + 1 distinct entries (its representatives) can reach the top, and a bound
per question and group skips the groups that cannot beat the touched documents at all. Entries with a
keyword in the question get all their documents scored (their bonus can lift any of them).

Candidates are scored approximately in numpy (any summation order; the error is bounded), then the few
entries that can still be in the top are re-scored with rank()'s own arithmetic: the same operations in
the same order, so scores, ties and rounding come out identical. Whether the documents left out could
have tied with the result is checked exactly; a question for which that check fails (float ties at a
group's edge), or that holds a newline, is ranked with rank() itself.
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
        groups = st.prefixes(limit + 1)
        table = np.empty(_TABLE, dtype=np.int32)
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
        k = longer[j]
        acc[:k] += values[first[:k] + j]
    out[order] = acc
    return out


def _number(keys: np.ndarray, per: int, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct values of keys = question * per + item, questions non-decreasing.

    Returns each key's number and, per number, the index of one key holding it (increasing)."""
    n = len(keys)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rep = np.empty(n, np.int64)
    span = max(1, len(table) // per) * per
    block = keys // span
    cuts = (np.flatnonzero(block[1:] != block[:-1]) + 1).tolist()
    for a, z in zip([0] + cuts, cuts + [n]):
        local = keys[a:z] - block[a] * span
        table[local] = np.arange(a, z)
        rep[a:z] = table[local]
    firsts = np.flatnonzero(rep == np.arange(n))
    number = np.empty(n, np.int64)
    number[firsts] = np.arange(len(firsts))
    return number[rep], firsts


def _firsts(key: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each distinct key: by hashing, sorting only colliding keys."""
    n = len(key)
    bits = max(10, n.bit_length() + 2)
    slot = ((key.astype(np.uint64) * _MIX) >> np.uint64(64 - bits)).astype(np.intp)
    table = np.full(1 << bits, n, np.int64)
    index = np.arange(n)
    np.minimum.at(table, slot, index)
    rep = table[slot]
    first = rep == index
    # A key whose slot first holds another key: all its occurrences are here, so sort just those.
    unsure = np.flatnonzero(~first & (key[rep] != key))
    order = unsure[np.argsort(key[unsure], kind="stable")]
    first[order[np.r_[True, key[order][1:] != key[order][:-1]]] if len(order) else order] = True
    return first


def _kth(values: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
    """Per non-empty segment, a lower bound of its k-th largest value (-inf when it has fewer)."""
    v = values.copy()
    lengths = np.diff(np.r_[starts, len(v)])
    top = np.full(len(starts), -np.inf)
    for _ in range(k):   # the k-th distinct value: never above the k-th largest
        top = np.maximum.reduceat(v, starts) if len(v) else top
        v[v >= np.repeat(top, lengths)] = -np.inf
    return top


def _round4(x: np.ndarray) -> list[float]:
    """[round(v, 4) for v in x]: numpy rounds the same except next to a half (or when not finite)."""
    scaled = x * 1e4
    out = (np.round(scaled) / 1e4).tolist()
    for i in np.flatnonzero(~(np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) | (np.abs(x) > 1e9)).tolist():
        out[i] = round(float(x[i]), 4)
    return out


def _codes(texts: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated ranges [start, start + length)."""
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


class _Static:
    """Arrays derived once per Matcher: feature lookup, groups, keywords."""

    def __init__(self, m: Matcher):
        ix = m.index
        self.m = m
        self.usable = ix.n_docs > 0 and bool(ix.ids)
        self.idf = np.array(ix.idf, dtype=float)
        self.bounds = np.array(ix.bounds, dtype=np.int64)
        self.lens = np.diff(self.bounds)
        self.postings, self.totals, self.f2, self.doc_entry = ix.postings, ix.totals, m.doc_factor2, m.doc_entry
        self.n_docs, self.n_entries = ix.n_docs, len(m.entry_ids)
        self.f2max = float(self.f2.max(initial=0.0))
        order = sorted(range(self.n_entries), key=lambda e: (m.entry_ids[e], e))
        self.idrank = np.empty(self.n_entries, np.int64)
        self.idrank[order] = np.arange(self.n_entries)
        self.entry_count = np.bincount(self.doc_entry, minlength=self.n_entries)
        self.entry_start = np.cumsum(self.entry_count) - self.entry_count
        # Feature code -> column: unigram code = code point, bigram code = PLANE * (first + 1) + second.
        keys = list(ix.ids)
        cols = np.fromiter(ix.ids.values(), np.int64, len(keys))
        size = np.fromiter(map(len, keys), np.int64, len(keys))
        cp = _codes(["".join(keys)])
        at = np.cumsum(size) - size
        self.uni_col = np.full(_PLANE, -1, np.int64)
        self.uni_col[cp[at[size == 1]]] = cols[size == 1]
        two = at[size == 2]
        bigrams = cp[two] * _PLANE + cp[two + 1] + _PLANE
        order = np.argsort(bigrams)
        self.bi_codes, self.bi_cols = bigrams[order], cols[size == 2][order]
        self.fix_all = m.typos.known is not ix.ids   # else only lines with an unseen bigram can change
        self._groups()
        self._keywords()
        self._prefixes: dict[int, SimpleNamespace] = {}

    def bigram_cols(self, codes: np.ndarray) -> np.ndarray:
        if not len(self.bi_codes):
            return np.full(len(codes), -1, np.int64)
        at = np.minimum(np.searchsorted(self.bi_codes, codes), len(self.bi_codes) - 1)
        return np.where(self.bi_codes[at] == codes, self.bi_cols[at], -1)

    def _groups(self) -> None:
        """Common features (the longest postings) and documents grouped by (common features held, factor)."""
        import os; threshold = eval(os.environ.get('BR_T', 'max(64, int(2 * self.n_docs ** 0.5))'))
        common = np.argsort(-self.lens, kind="stable")[:_MAX_COMMON]
        common = np.sort(common[self.lens[common] > threshold])
        c = self.n_common = len(common)
        self.cidx = np.full(len(self.lens) + 1, c, np.int64)   # column -> common index (c: not common)
        self.cidx[common] = np.arange(c)
        pairs = _expand(self.bounds[common], self.lens[common])
        docs, feature = self.postings[pairs], np.repeat(np.arange(c), self.lens[common])
        words = max(1, (c + 63) // 64)
        sig = np.zeros((self.n_docs, words), np.uint64)
        np.bitwise_or.at(sig, (docs, feature >> 6), np.left_shift(np.uint64(1), (feature & 63).astype(np.uint64)))
        keys = [sig[:, i] for i in range(words)] + [self.f2]
        order = np.lexsort(keys[::-1])
        change = np.zeros(self.n_docs, bool)
        change[0] = True
        for key in keys:
            change[1:] |= key[order][1:] != key[order][:-1]
        self.gid = np.empty(self.n_docs, np.int64)
        self.gid[order] = np.cumsum(change) - 1
        first = order[change]
        self.n_groups = g = len(first)
        bits = np.unpackbits(sig[first].view(np.uint8).reshape(g, -1), axis=1, bitorder="little")[:, :c]
        self.sig = np.zeros((g, c + 1), bool)    # last column: "not a common feature", never held
        self.sig[:, :c] = bits
        self.sig_flat = self.sig.ravel()
        self.sig_mat = np.ascontiguousarray(bits.T, dtype=float)
        self.group_f2 = self.f2[first]
        # Each group's documents by (total, entry id): the order every question ranks them in.
        self.group_docs = np.lexsort((np.arange(self.n_docs), self.idrank[self.doc_entry], self.totals, self.gid))
        self.group_start = np.searchsorted(self.gid[self.group_docs], np.arange(g + 1))

    def prefixes(self, k: int) -> SimpleNamespace:
        """Per group: its first documents holding k distinct entries, and what follows them."""
        if k in self._prefixes:
            return self._prefixes[k]
        docs, start, n = self.group_docs, self.group_start, self.n_docs
        gid, total, entry = self.gid[docs], self.totals[docs], self.doc_entry[docs]
        key = gid * self.n_entries + entry
        order = np.argsort(key, kind="stable")
        new = np.ones(n, bool)
        new[order[1:]] = key[order][1:] != key[order][:-1]     # its entry's first document in the group
        seen = np.cumsum(new)
        seen -= np.repeat(np.r_[0, seen][start[:-1]], np.diff(start))
        end = start[1:].copy()                                  # the prefix is [start, end)
        kth = np.flatnonzero(new & (seen == k))
        end[gid[kth]] = kth + 1
        tail = end < start[1:]
        ids = np.r_[self.idrank[entry], np.iinfo(np.int64).max]
        total_ = np.r_[total, np.inf]
        # The first document after the prefix whose total differs from the prefix's last one.
        new_total = np.ones(n + 1, bool)
        new_total[1:n] = (total[1:] != total[:-1]) | (gid[1:] != gid[:-1])
        change = np.minimum.accumulate(np.where(new_total, np.arange(n + 1), n)[::-1])[::-1]
        after = np.where(tail, change[end], start[1:])
        has_after = after < start[1:]
        mins = np.minimum.reduceat(ids, np.ravel(np.column_stack([after, start[1:]])))[::2]
        p = SimpleNamespace(
            start=start[:-1], length=end - start[:-1], docs=docs, tail=tail, last=total[end - 1],
            first=total[start[:-1]], eq=tail & (total_[end] == total[end - 1]), eq_id=ids[end],
            has_after=has_after, after=np.where(has_after, total_[after], total[end - 1]), after_id=mins)
        p.tmin = p.first[self.sig[:, :-1].any(axis=1)].min(initial=np.inf)   # of groups holding a common feature
        self._prefixes[k] = p
        return p

    def _keywords(self) -> None:
        """Hashes of the keywords (canonical forms) by length, and a bitmap of all their prefixes."""
        m = self.m
        words = list(m.keyword_span)
        self.kw_start = np.array([m.keyword_span[w][0] for w in words], np.int64)
        self.kw_length = np.array([m.keyword_span[w][1] for w in words], np.int64) - self.kw_start
        self.kw_count = len(words)
        self.kw_prefix = np.zeros(1 << 22, bool)
        self.kw_by_length: dict[int, tuple] = {}
        by_length: dict[int, list[int]] = {}
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
            if np.any(h[order][1:] == h[order][:-1]):
                self.usable = False   # two keywords with one hash: never seen, but stay exact
            self.kw_by_length[n] = (h[order], numbers[order], codes[order])

    def keyword_hits(self, ch: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(question, entry, summed keyword weight) of every entry with a keyword inside a question."""
        m, text = self.m, ch.astype(np.uint64)
        at, h = np.arange(len(text)), np.zeros(len(text), np.uint64)
        positions, numbers = [], []
        for n in range(1, max(self.kw_by_length, default=0) + 1):
            inside = at + (n - 1) < len(text)
            at, h = at[inside], h[inside] * _BASE + text[at[inside] + (n - 1)]
            if n in self.kw_by_length:
                hashes, nums, codes = self.kw_by_length[n]
                k = np.minimum(np.searchsorted(hashes, h), len(hashes) - 1)
                hit = np.flatnonzero(hashes[k] == h)
                same = (text[at[hit, None] + np.arange(n)] == codes[k[hit]]).all(axis=1)
                positions.append(at[hit[same]])
                numbers.append(nums[k[hit[same]]])
            alive = self.kw_prefix[_slot(h, n)]     # windows that may grow into a keyword
            at, h = at[alive], h[alive]
            if not len(at):
                break
        if not positions:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        found = np.sort(line[np.concatenate(positions)] * self.kw_count + np.concatenate(numbers))
        found = found[np.r_[True, found[1:] != found[:-1]]]
        q, kw = found // self.kw_count, found % self.kw_count
        picked = _expand(self.kw_start[kw], self.kw_length[kw])
        q = np.repeat(q, self.kw_length[kw])
        owner, position, weight = m.keyword_owner[picked], m.keyword_position[picked], m.keyword_weight[picked]
        order = np.lexsort((position, owner, q))   # each entry's keywords in order, as rank() adds them
        q, owner, weight = q[order], owner[order], weight[order]
        first = np.flatnonzero(np.r_[True, (q[1:] != q[:-1]) | (owner[1:] != owner[:-1])])
        return q[first], owner[first], _fold(weight, first, np.diff(np.r_[first, len(q)]))


def _slot(h: np.ndarray, n: int) -> np.ndarray:
    return ((h + np.uint64(n)) * _MIX) >> np.uint64(42)


def _prepare(st: _Static, queries: list[str]) -> list[str]:
    """[matcher.prepare(q) for q in queries]: typos are only looked for where an unseen bigram is."""
    m = st.m
    first = m.synonyms.canonical_many(queries)
    if st.fix_all:
        fixed = [m.typos.fix(t) for t in first]
    else:
        ch = _codes(first)
        cjk = (ch >= 0x4E00) & (ch <= 0x9FFF)
        pair = np.flatnonzero(cjk[:-1] & cjk[1:])
        unseen = pair[st.bigram_cols(ch[pair] * _PLANE + ch[pair + 1] + _PLANE) < 0]
        fixed = list(first)
        for i in set(np.cumsum(ch == _SEP)[unseen].tolist()):
            fixed[i] = m.typos.fix(first[i])
    return m.synonyms.canonical_many(fixed)


def _features(st: _Static, ch: np.ndarray, nq: int) -> SimpleNamespace:
    """Every question's features in features() order (word by word: bigrams, then unigrams), each once."""
    line = np.cumsum(ch == _SEP)
    inw = (ch != _SEP) & (ch != _SPACE)
    nxt, prv = np.r_[inw[1:], False], np.r_[False, inw[:-1]]
    start, end = inw & ~prv, inw & ~nxt
    uni = inw & (((ch >= 0x3400) & (ch <= 0x9FFF)) | (start & end))
    big, un = np.flatnonzero(inw & nxt), np.flatnonzero(uni)
    ws, we = np.flatnonzero(start), np.flatnonzero(end) + 1
    ucum = np.cumsum(uni)
    before = ucum[ws] - uni[ws]                  # unigrams before each word
    nb = we - ws - 1
    size = nb + ucum[we - 1] - before
    base = np.cumsum(size) - size
    wid = np.cumsum(start) - 1
    wb, wu = wid[big], wid[un]
    slot = np.r_[base[wb] + big - ws[wb], base[wu] + nb[wu] + ucum[un] - 1 - before[wu]]
    code, q, isbig = np.empty(len(slot), np.int64), np.empty(len(slot), np.int64), np.zeros(len(slot), bool)
    code[slot] = np.r_[ch[big] * _PLANE + ch[big + 1] + _PLANE, ch[un]]
    q[slot] = line[np.r_[big, un]]
    isbig[slot[:len(big)]] = True
    keep = _firsts((q << 42) | code)           # each feature once per question, where it first occurs
    code, q, isbig = code[keep], q[keep], isbig[keep]
    col = np.where(isbig, -1, st.uni_col[np.where(isbig, 0, code)])
    col[isbig] = st.bigram_cols(code[isbig])
    known = col >= 0
    w = np.where(isbig, 1.0, UNIGRAM_WEIGHT) * np.where(known, st.idf[np.maximum(col, 0)], st.m.unseen_idf)
    qn = np.bincount(q, minlength=nq)
    qstart = np.cumsum(qn) - qn
    qt = _fold(w, qstart, qn)
    unseen = _fold(np.where(known, 0.0, w), qstart, qn) / np.where(qn > 0, qt, 1.0)
    return SimpleNamespace(q=q, col=col, known=known, w=w, cidx=st.cidx[col], qn=qn, qstart=qstart, qt=qt,
                           unseen=unseen, pen=UNSEEN_PENALTY * unseen, line=line,
                           alive=np.bincount(q, weights=known, minlength=nq) > 0,
                           eps=(st.f2max + 1.0) * (qn + 8) * 1e-15)


def _rank_chunk(st: _Static, pre: SimpleNamespace, queries: list[str], limit: int,
                table: np.ndarray) -> list[list[Match] | None]:
    """Rankings of up to _CHUNK questions; None where rank() itself must decide."""
    try:
        texts = _prepare(st, queries)
        ch = _codes(texts)
    except UnicodeEncodeError:
        return [None] * len(queries)
    nq, c, n_e = len(queries), st.n_common, st.n_entries
    if len(texts) != nq or not len(ch):
        return [None if len(texts) != nq else [] for _ in queries]
    f = _features(st, ch, nq)
    # Candidates: documents holding a rare feature of the question (their rare overlap added up exactly) ...
    rare = np.flatnonzero(f.known & (f.cidx == c))
    lens = st.lens[f.col[rare]]
    pf = np.repeat(rare, lens)
    pdoc = st.postings[_expand(st.bounds[f.col[rare]], lens)]
    prow, first = _number(f.q[pf] * st.n_docs + pdoc, st.n_docs, table)
    # ... every document of an entry with a keyword in the question ...
    hq, he, hw = st.keyword_hits(ch, f.line)
    has_docs = st.entry_count[he] > 0
    hq, he, hw = hq[has_docs], he[has_docs], hw[has_docs]
    hcount = st.entry_count[he]
    bonus_hit = KEYWORD_BONUS * np.minimum(hw / f.qt[hq], 1.0)
    # ... and the representatives of the groups that may still reach the top. Common overlaps by group:
    com = np.flatnonzero(f.known & (f.cidx < c))
    wq = np.zeros((nq, c))
    wq[f.q[com], f.cidx[com]] = f.w[com]
    ovg = wq @ st.sig_mat
    rq = np.r_[f.q[pf[first]], np.repeat(hq, hcount)]
    rd = np.r_[pdoc[first], _expand(st.entry_start[he], hcount)]
    rid = np.r_[np.arange(len(first)), np.full(int(hcount.sum()), -1)]
    rov = np.r_[np.bincount(prow, weights=f.w[pf], minlength=len(first)), np.zeros(int(hcount.sum()))]

    def approx(q, d, ov):
        return st.f2[d] * (ov + ovg[q, st.gid[d]]) / (f.qt[q] + st.totals[d]) - f.pen[q]

    a = approx(rq, rd, rov)
    # A lower bound of the limit-th best entry: the limit-th best distinct entry among these rows.
    entry = st.doc_entry[rd]
    value = np.where(a > f.eps[rq], a + np.r_[np.zeros(len(first)), np.repeat(bonus_hit, hcount)], -np.inf)
    lower = np.full(nq, -np.inf)
    if limit <= 8:
        for _ in range(limit):
            lower = np.full(nq, -np.inf)
            np.maximum.at(lower, rq, value)
            pick = np.full(nq, -1)
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
    # Per (question, entry): best approximate score and keyword bonus.
    order = np.argsort(rq.astype(np.int16), kind="stable")
    rq, rd, rid, a = rq[order], rd[order], rid[order], a[order]
    key = rq * n_e + st.doc_entry[rd]
    number, firsts = _number(key, n_e, table)
    best = np.full(len(firsts), -np.inf)
    np.maximum.at(best, number, a)
    key = key[firsts]
    eq, ee = rq[firsts], st.doc_entry[rd[firsts]]
    hit_key = hq * n_e + he
    at = np.minimum(np.searchsorted(hit_key, key), max(len(hit_key) - 1, 0))
    bonus = np.where(hit_key[at] == key, bonus_hit[at], 0.0) if len(hit_key) else np.zeros(len(key))
    starts = np.flatnonzero(np.r_[True, eq[1:] != eq[:-1]])
    # Entries that may be in the top: within 2 eps of the limit-th surely positive one.
    total = best + bonus
    cut = np.repeat(_kth(np.where(best > f.eps[eq], total, -np.inf), starts, limit), np.diff(np.r_[starts, len(eq)]))
    finalist = (best > -f.eps[eq]) & (total >= cut - 2 * f.eps[eq]) & f.alive[eq]
    rows = np.flatnonzero(finalist[number] & (a >= best[number] - 2 * f.eps[rq]))

    def exact(q, g, f2, totals, rare_id):
        """rank()'s arithmetic: the overlap added feature by feature in the question's order."""
        n = f.qn[q]
        at = np.cumsum(n) - n
        qf = _expand(f.qstart[q], n)
        cells = np.where(st.sig_flat[np.repeat(g, n) * (c + 1) + f.cidx[qf]], f.w[qf], 0.0)
        to_row = np.full(len(first), -1)
        to_row[rare_id[rare_id >= 0]] = np.flatnonzero(rare_id >= 0)
        pick = np.flatnonzero(to_row[prow] >= 0)
        cells[at[to_row[prow[pick]]] + pf[pick] - f.qstart[f.q[pf[pick]]]] = f.w[pf[pick]]
        return f2 * _fold(cells, at, n) / (f.qt[q] + totals) - f.pen[q]

    d = rd[rows]
    score = exact(rq[rows], st.gid[d], st.f2[d], st.totals[d], rid[rows])
    exact_best = np.full(len(best), -np.inf)
    np.maximum.at(exact_best, number[rows], score)
    fe = np.flatnonzero(finalist & (exact_best > 0))
    fq, fentry, ftotal = eq[fe], ee[fe], exact_best[fe] + bonus[fe]
    order = np.lexsort((st.idrank[fentry], -ftotal, fq))
    fq, fentry, ftotal = fq[order], fentry[order], ftotal[order]
    place = np.arange(len(fq)) - np.searchsorted(fq, fq)
    win = place < limit
    wq, we, wt = fq[win], fentry[win], ftotal[win]
    # Proof that no document left out ties or beats the limit-th entry; else rank() decides.
    full = np.bincount(wq, minlength=nq) == limit
    at_limit = np.flatnonzero(place == limit - 1)
    score_l, id_l = np.zeros(nq), np.zeros(nq, np.int64)
    score_l[fq[at_limit]], id_l[fq[at_limit]] = ftotal[at_limit], st.idrank[fentry[at_limit]]
    keep = pre.tail[sg]
    sq, sg = sq[keep], sg[keep]
    og, qt, pen, eps, sl, fl = ovg[sq, sg], f.qt[sq], f.pen[sq], f.eps[sq], score_l[sq], full[sq]
    gf2 = st.group_f2[sg]
    up_after = gf2 * og / (qt + pre.after[sg]) - pen + eps
    up_last = gf2 * og / (qt + pre.last[sg]) - pen + eps
    ok = ((~pre.has_after[sg] | (up_after <= 0) | (fl & (up_after < sl)))
          & (~pre.eq[sg] | (up_last <= 0) | (fl & (up_last < sl))))
    bad = np.flatnonzero(~ok)
    failed = set()
    if len(bad):
        sq, sg, sl, fl, il = sq[bad], sg[bad], sl[bad], fl[bad], id_l[sq[bad]]
        none = np.full(len(bad), -1)
        s_after = exact(sq, sg, st.group_f2[sg], pre.after[sg], none)
        s_last = exact(sq, sg, st.group_f2[sg], pre.last[sg], none)
        ok = ((~pre.has_after[sg] | (s_after <= 0)
               | (fl & ((s_after < sl) | ((s_after == sl) & (pre.after_id[sg] >= il)))))
              & (~pre.eq[sg] | (s_last <= 0) | (fl & ((s_last < sl) | ((s_last == sl) & (pre.eq_id[sg] >= il))))))
        failed = set(sq[~ok].tolist())
    out: list = [[] for _ in range(nq)]
    ids, titles, unseen = st.m.entry_ids, st.m.titles, _round4(f.unseen)
    for q, e, raw in zip(wq.tolist(), we.tolist(), _round4(np.maximum(wt, 0.0))):
        out[q].append(Match(ids[e], titles[e], raw, unseen[q]))
    for q in failed:
        out[q] = None
    return out
