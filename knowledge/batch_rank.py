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

from knowledge.batch_static import (
    _PLANE,
    _Static,
    _classes,
    _codes,
    _expand,
    _firsts,
    _fold,
    _kth,
    _new,
    _number,
    _round4,
)
from knowledge.index import UNIGRAM_WEIGHT
from knowledge.match import KEYWORD_BONUS, UNSEEN_PENALTY, Match, Matcher, prepare_text

_SEP, _SPACE = 10, 32
_CHUNK = 4096  # questions ranked together (at most)
_CELLS = 1 << 22  # question x group cells per chunk (at most)
_TABLE = 1 << 21  # scratch slots for numbering distinct (question, document or entry) pairs
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
            chunk = plain[a : a + size]
            for i, ranked in zip(chunk, _rank_chunk(st, groups, [queries[i] for i in chunk], limit, table)):
                out[i] = ranked
    return [r if r is not None else matcher.rank(q, limit) for q, r in zip(queries, out)]


def _prepare(st: _Static, queries: list[str]) -> list[str]:
    """[matcher.prepare(q) for q in queries]: typo repair only runs where an unseen bigram is (as typed or once
    synonyms are canonical); elsewhere repair changes nothing and prepare() is canonical(canonical(q))."""
    first = st.synonyms.canonical_many(queries)
    prepared = st.synonyms.canonical_many(first)
    for i in _with_unseen_bigram(st, queries) | _with_unseen_bigram(st, first):
        prepared[i] = prepare_text(st.synonyms, st.typos, queries[i])
    return prepared


def _with_unseen_bigram(st: _Static, texts: list[str]) -> set[int]:
    """The lines of texts holding a pair of Chinese characters the knowledge base has never seen."""
    ch = _codes(texts)
    cjk = (ch >= 0x4E00) & (ch <= 0x9FFF)
    pair = np.flatnonzero(cjk[:-1] & cjk[1:])
    unseen = pair[st.bigram_cols(ch[pair] * _PLANE + ch[pair + 1] + _PLANE) < 0]
    return set(np.cumsum(ch == _SEP)[unseen].tolist())


def _features(st: _Static, ch: np.ndarray, nq: int) -> SimpleNamespace:
    """Every question's features in features() order (word by word: bigrams, then unigrams), each once."""
    line = np.cumsum(ch == _SEP)
    inw = (ch != _SEP) & (ch != _SPACE)
    nxt, prv = np.r_[inw[1:], False], np.r_[False, inw[:-1]]
    start, end = inw & ~prv, inw & ~nxt
    uni = inw & (((ch >= 0x3400) & (ch <= 0x9FFF)) | (start & end))
    big, un = np.flatnonzero(inw & nxt), np.flatnonzero(uni)
    ws, we, ucum, wid = np.flatnonzero(start), np.flatnonzero(end) + 1, np.cumsum(uni), np.cumsum(start) - 1
    before, nb = ucum[ws] - uni[ws], we - ws - 1  # unigrams before each word, bigrams in it
    size = nb + ucum[we - 1] - before
    base = np.cumsum(size) - size
    wb, wu = wid[big], wid[un]
    slot = np.r_[base[wb] + big - ws[wb], base[wu] + nb[wu] + ucum[un] - 1 - before[wu]]
    code, q, isbig = np.empty(len(slot), np.int64), np.empty(len(slot), np.int64), np.zeros(len(slot), bool)
    code[slot] = np.r_[ch[big] * _PLANE + ch[big + 1] + _PLANE, ch[un]]
    q[slot], isbig[slot[: len(big)]] = line[np.r_[big, un]], True
    keep = _firsts((q << 42) | code)  # each feature once per question, where it first occurs
    code, q, isbig = code[keep], q[keep], isbig[keep]
    col = np.where(isbig, -1, st.uni_col[np.where(isbig, 0, code)])
    col[isbig] = st.bigram_cols(code[isbig])
    known = col >= 0
    w = np.where(isbig, 1.0, UNIGRAM_WEIGHT) * np.where(known, st.idf[np.maximum(col, 0)], st.unseen_idf)
    qn = np.bincount(q, minlength=nq)
    qstart = np.cumsum(qn) - qn
    qt = _fold(w, qstart, qn)
    unseen = _fold(np.where(known, 0.0, w), qstart, qn) / np.where(qn > 0, qt, 1.0)
    return SimpleNamespace(
        q=q,
        col=col,
        known=known,
        w=w,
        cidx=st.cidx[col],
        qn=qn,
        qstart=qstart,
        qt=qt,
        unseen=unseen,
        pen=UNSEEN_PENALTY * unseen,
        alive=np.bincount(q[known], minlength=nq) > 0,
        eps=(st.f2max + 1.0) * (qn + 8) * 1e-15,
    )  # bound of any approximate score's error


def _rank_chunk(
    st: _Static, pre: SimpleNamespace, queries: list[str], limit: int, table: np.ndarray
) -> list[list[Match] | None]:
    """Rankings of up to _CHUNK questions; None where rank() itself must decide."""
    ch, nq, c, n_e = _codes(_prepare(st, queries)), len(queries), st.n_common, st.n_entries
    if not len(ch):
        return [[]]  # one empty question
    f = _features(st, ch, nq)
    # Candidates: documents holding a rare feature of the question (rare overlap added up exactly), ...
    rare = np.flatnonzero(f.known & (f.cidx == c))
    lens = st.lens[f.col[rare]]
    pf = np.repeat(rare, lens)
    pdoc = st.postings[_expand(st.bounds[f.col[rare]], lens)]
    prow, first = _number(np.repeat(f.q[rare] * st.n_docs, lens) + pdoc, st.n_docs, table)
    # ... every document of an entry with a keyword in the question, ...
    hq, he, hw = st.keyword_hits(ch, np.cumsum(ch == _SEP))  # (a keyword is a document of its entry)
    hcount, bonus_hit = st.entry_count[he], KEYWORD_BONUS * np.minimum(hw / f.qt[hq], 1.0)
    # ... and the first documents of the groups that may still reach the top. A question's overlap with a
    # group's common features depends only on which common features it holds: computed once per such set.
    com = np.flatnonzero(f.known & (f.cidx < c))
    kind, _, bits = _classes(nq, f.q[com], f.cidx[com], st.words)
    weight = np.zeros(c)
    weight[f.cidx[com]] = f.w[com]  # a feature weighs the same in every question
    ovg = np.einsum("sc,cg->sg", bits[:, :c] * weight, st.sig_mat)[kind]  # (no BLAS: no threads left spinning)
    rq = np.r_[f.q[pf[first]], np.repeat(hq, hcount)]
    rd = np.r_[pdoc[first], _expand(st.entry_start[he], hcount)]
    rid = np.r_[np.arange(len(first)), np.full(int(hcount.sum()), -1)]  # rare row number, or -1

    def approx(q, d, ov):
        return st.f2[d] * (ov + ovg[q, st.gid[d]]) / (f.qt[q] + st.totals[d]) - f.pen[q]

    rov = np.zeros(len(rd))
    rov[: len(first)] = np.bincount(prow, np.repeat(f.w[rare], lens), len(first))
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
        return (
            ~pre.has_after[sg]
            | (s_after <= 0)
            | (fl & ((s_after < sl) | exact_ties & (s_after == sl) & (pre.after_id[sg] >= il)))
        ) & (~pre.eq[sg] | (s_last <= 0) | (fl & ((s_last < sl) | exact_ties & (s_last == sl) & (pre.eq_id[sg] >= il))))

    og, gf2 = ovg[sq, sg], st.group_f2[sg]
    ok = settled(
        gf2 * og / (f.qt[sq] + pre.after[sg]) - f.pen[sq] + f.eps[sq],
        gf2 * og / (f.qt[sq] + pre.last[sg]) - f.pen[sq] + f.eps[sq],
        False,
    )
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
