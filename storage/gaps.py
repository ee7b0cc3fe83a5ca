"""Gap clusters: declined and low-confidence questions grouped by similarity, the knowledge base's to-do list."""

from __future__ import annotations

import heapq
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from .timeutil import as_aware, cutoff_iso, utc_now

Nearest = Callable[[str], "tuple[str, str] | None"]


@dataclass(frozen=True)
class GapCluster:
    """A group of similar unanswered questions and the knowledge entry that comes closest."""

    size: int  # number of logged queries in the cluster (repeats included)
    representative: str  # the member most similar, on average, to the others
    examples: tuple[str, ...]  # up to 5 other distinct members, most frequent first
    nearest_entry_id: str | None
    nearest_title: str | None


def gap_clusters(
    db: Database,
    nearest: Nearest | None,
    days: int | None = None,
    low_score: float = 0.5,
    similarity: float = 0.45,
    limit: int = 20,
    *,
    now: datetime | None = None,
) -> list[GapCluster]:
    """Cluster queries with ``fallback = 1`` or ``score < low_score`` from the last `days` days before `now`.

    Questions are compared by the Jaccard similarity of their character bigrams (letters and digits of
    `normalized`, else `text`). A greedy leader algorithm, deterministic: the question with the most
    still-unclustered queries within `similarity` of it (ties: smaller text) leads a cluster of itself and
    those neighbours; repeat. Clusters come largest first (ties by representative), at most `limit`.
    `nearest(representative)` is asked for the closest entry as ``(entry_id, title)`` or None.
    """
    since = cutoff_iso(as_aware(now or utc_now()), days) if days is not None else None
    sql = "select text, normalized from queries where (fallback = 1 or score < :low)"
    if since:
        sql += " and ts >= :since"
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = defaultdict(Counter)
    for text, normalized in db.execute(sql, {"low": low_score, "since": since}).fetchall():
        key = comparable(normalized or text or "")
        if key:
            counts[key] += 1
            shown[key][text or normalized] += 1
    keys = sorted(counts)
    grams = [bigrams(k) for k in keys]
    neighbours = _neighbours(grams, similarity)
    clusters = []
    for members in _leader_clusters(keys, [counts[k] for k in keys], neighbours):
        clusters.append(_describe(members, keys, grams, counts, shown))
    clusters.sort(key=lambda c: (-c[0], c[1]))
    out = []
    for size, representative, examples in clusters[:limit]:
        found = nearest(representative) if nearest else None
        entry_id, title = found if found else (None, None)
        out.append(GapCluster(size, representative, examples, entry_id, title))
    return out


def comparable(text: str) -> str:
    """Keep only letters and digits, lower-cased: punctuation and spaces do not make questions differ."""
    return "".join(ch for ch in text.lower() if unicodedata.category(ch)[0] in "LN")


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of `text`; a one-character text is its own gram."""
    if len(text) < 2:
        return frozenset([text])
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _neighbours(grams: list[frozenset[str]], threshold: float) -> list[dict[int, float]]:
    """For each item, the other items with Jaccard ≥ `threshold`, found through an inverted bigram index."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(grams):
        for gram in g:
            index[gram].append(i)
    result: list[dict[int, float]] = [{} for _ in grams]
    for i, g in enumerate(grams):
        shared: Counter[int] = Counter()
        for gram in g:
            shared.update(j for j in index[gram] if j > i)
        for j, inter in shared.items():
            sim = inter / (len(g) + len(grams[j]) - inter)
            if sim >= threshold:
                result[i][j] = result[j][i] = sim
    return result


def _leader_clusters(keys: list[str], weights: list[int], neighbours: list[dict[int, float]]) -> list[list[int]]:
    """Greedy leader clustering with a lazy max-heap (a leader's weight only shrinks as others are taken)."""
    free = set(range(len(keys)))

    def weight(i: int) -> int:
        return weights[i] + sum(weights[j] for j in neighbours[i] if j in free)

    heap = [(-weight(i), keys[i], i) for i in range(len(keys))]
    heapq.heapify(heap)
    clusters = []
    while heap:
        stale, key, i = heapq.heappop(heap)
        if i not in free:
            continue
        current = -weight(i)
        if current != stale:
            heapq.heappush(heap, (current, key, i))
            continue
        members = [i] + sorted(j for j in neighbours[i] if j in free)
        free.difference_update(members)
        clusters.append(members)
    return clusters


def _describe(members, keys, grams, counts, shown) -> tuple[int, str, tuple[str, ...]]:
    """Return (size, representative text, example texts) for one cluster."""

    def avg_sim(i: int) -> float:
        others = [j for j in members if j != i]
        return sum(jaccard(grams[i], grams[j]) for j in others) / len(others) if others else 1.0

    def text(i: int) -> str:
        return min(shown[keys[i]].items(), key=lambda kv: (-kv[1], kv[0]))[0]

    rep = min(members, key=lambda i: (-avg_sim(i), -counts[keys[i]], text(i)))
    rest = sorted(
        (j for j in members if j != rep),
        key=lambda j: (-counts[keys[j]], -jaccard(grams[rep], grams[j]), text(j)),
    )
    return sum(counts[keys[i]] for i in members), text(rep), tuple(text(j) for j in rest[:5])


def format_gaps(clusters: list[GapCluster]) -> str:
    """Render clusters as 「17 条类似「…」 → 最接近：entry_id 标题」 lines, with examples underneath."""
    if not clusters:
        return "没有未回答或低置信度的问题。"
    lines = [f"知识库待补充（{len(clusters)} 组，按问题数排序）："]
    for n, c in enumerate(clusters, 1):
        target = f"{c.nearest_entry_id} {c.nearest_title or ''}".rstrip() if c.nearest_entry_id else "（无）"
        lines.append(f"{n}. {c.size} 条类似「{c.representative}」 → 最接近：{target}")
        if c.examples:
            lines.append("   例：" + "；".join(c.examples))
    return "\n".join(lines)


# -- answers that may be wrong (issue 14) ---------------------------------------------------------------

Suspect = Callable[[str], "str | None"]


@dataclass(frozen=True)
class SuspectAnswer:
    """An answered question the matcher was not sure of: a low margin over the next entry, or uncovered terms."""

    count: int
    text: str
    entry_id: str
    reason: str


def suspect_answers(
    db: Database, suspect: Suspect, days: int | None = None, limit: int = 20, *, now: datetime | None = None
) -> list[SuspectAnswer]:
    """Answered questions (fallback = 0, an entry) for which `suspect(text)` gives a reason, most asked first.

    `suspect` re-reads the question with the current matcher (the query log keeps the text, not the
    matcher's reasoning), so an entry fixed since the question was asked drops off the list."""
    since = cutoff_iso(as_aware(now or utc_now()), days) if days is not None else None
    sql = (
        "select text, entry_id, count(*) as n from queries where fallback = 0 and entry_id is not null"
        " and (verdicts is null or verdicts in ('[]', ''))"
    )
    if since:
        sql += " and ts >= :since"
    sql += " group by text, entry_id order by n desc, text"
    found = []
    for text, entry_id, n in db.execute(sql, {"since": since}).fetchall():
        try:
            reason = suspect(text)
        except Exception:  # noqa: BLE001  (one odd logged text must not hide the others)
            reason = None
        if reason:
            found.append(SuspectAnswer(n, text, entry_id, reason))
            if len(found) >= limit:
                break
    return found


def format_suspects(items: list[SuspectAnswer]) -> str:
    if not items:
        return "没有可疑的已回答问题。"
    lines = [f"可能答错的问题（{len(items)} 条，低区分度或有未覆盖的关键词）："]
    lines += [f"{n}. {s.count} 次「{s.text}」 → {s.entry_id}：{s.reason}" for n, s in enumerate(items, 1)]
    return "\n".join(lines)
