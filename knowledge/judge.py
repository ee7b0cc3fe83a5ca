"""Decide what to do with a question once the matcher has ranked entries: answer, ask, clarify or decline.

The ranking (knowledge.match) measures how much text a question shares with an entry's title, example
questions and keywords. Sharing topic words is not answering: 「党员档案丢了怎么办」 shares 党员档案 with
the entry on archiving admission papers, which says nothing about a lost file. So a ranked entry is taken as
the answer only if it also

1. answers the question's aspect (knowledge.aspect: 「多久」 is not answered by an entry about who approves);
2. covers the question's content: every distinguishing term of the question (what is left once the
   interrogative and function words are taken out) appears in the entry's text (title, questions,
   keywords, answer, steps, after synonym canonicalization). Uncovered characters are weighed by their
   inverse entry frequency, so 丢 or 选票 or 大学生村官 count, and a share above UNCOVERED_MAX rules the
   entry out. A term only the answer or steps hold counts BODY_LEVEL covered (an entry is about what its
   head names). A best entry far ahead of the next (STRONG_RAW, STRONG_LEAD) may leave up to
   STRONG_UNCOVERED_MAX uncovered (a colloquial verb: 担任, 采用, 运作), unless an uncovered term modifies a
   covered one (民主 in 民主生活会, 团 in 团组织关系: another thing than the entry's);
3. does not ask what one of the questions the entry declares it is not for (`not_for`) asks: the same
   content in a compatible form, nearer to it than to any of the entry's own example questions;
4. mentions every decisive term of the question (scope.yaml `decisive_terms`: 丢失, 欠, 填 …): words that turn
   a question about a thing into another question (an entry on the 党员档案 is no answer to 「档案丢了」).

A lower-ranked entry is considered when the ones above are ruled out: within FALLBACK_GAP of the best, or
COVERED_FALLBACK_GAP if it covers the question (nearly) entirely. The acceptable entries within
REORDER_GAP are ordered by raw score less COVERAGE_WEIGHT times their uncovered share, so the entry that
accounts for every term wins over a neighbour sharing more topic words.

Then: no entry left → decline (with up to three related entries); the first two left within CHOOSE_MARGIN
of each other → ask which one is meant; a message with no content of its own (「怎么办」, 「党员」, 「10」)
→ ask for more detail. Only the top RANK_DEPTH ranked entries are judged, so this costs a few dozen
microseconds on top of the ranking, whatever the size of the knowledge base.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from knowledge.aspect import classify, compatible, entry_aspects
from knowledge.scored import Match, features
from knowledge.typos import readings

# Thresholds fitted on the tuning half of tests/data/eval/ only (benchmarks/bench_quality.py reports the frozen half).
RANK_DEPTH = 8  # ranked entries judged per question (lower ones are reached when the top ones are ruled out)
UNCOVERED_MAX = 0.15  # weighted share of the question's content an entry may leave uncovered
STRONG_RAW = 0.45  # a best-ranked entry scoring at least this ...
STRONG_LEAD = 0.15  # ... this far ahead of the next one is a clear topic match, so it may leave
STRONG_UNCOVERED_MAX = 0.35  # this share uncovered (a colloquial verb or filler the entry never uses)
COVERED_FALLBACK_GAP = 0.15  # an entry that covers the question all but COVERED_SHARE is taken this far below the best
COVERED_SHARE = 0.05
COVERAGE_WEIGHT = 3.0  # acceptable entries are ordered by raw score less this times their uncovered share ...
REORDER_GAP = 0.15  # ... among those this close to the first acceptable one
BODY_LEVEL = 0.7  # how covered a term is that only the answer or steps of an entry hold (not its head)
WEAK_BELOW = 0.25  # a match scoring under this raw score must cover more of the question:
WEAK_UNCOVERED_MAX = 0.05  # this share at most
LOOSE_SHARE = 0.5  # a character the entry holds, but not beside the same neighbour, counts this much uncovered
FALLBACK_GAP = 0.05  # a lower-ranked entry is taken in place of ruled-out ones only this close to the best
CHOOSE_MARGIN = 0.03  # raw-score gap under which two acceptable entries are offered as a choice
NOT_FOR_ASKS = 0.85  # a question asks what a `not_for` question asks when it holds this share of its content ...
NOT_FOR_OWN = 0.5  # ... the not_for question holds this share of the question's content, the question asks
# nothing the not_for question's form cannot answer, and it is no more like any of the entry's own questions
VAGUE_CHARS = 2  # a message with at most this many content characters and no aspect is vague
LOW_MARGIN = 0.05  # an answer this close to the next entry is listed for the admin as possibly wrong
ENTRY_MEMO = 4096  # entries whose feature sets are remembered
SUGGEST_MIN = 0.08  # raw score below which an entry is not even offered as related
RELATED_UNCOVERED_MAX = 0.7  # a decline offers an entry as related only if it covers some of the question

# Interrogative, function and filler words: what is left of a question without them is its content.
STOP = re.compile(
    "哪一级|哪级|一共|总共|到底|究竟|达到|一定|怎么办理|如何办理|具体指|指的是|是指|处于|包括|包含|几名|几位|几人|几次|几种|几项|几年|几天|人数|要求|条件|"
    # words that frame a question rather than name its subject (「…有没有时间限制」, 「…的基本程序」, 「…适用吗」),
    # and the context secretaries open with (「我单位有个同志…」): fitted on the fresh development half and checked on
    # a third fresh round (tests/data/fresh/round3.yaml; 处理 left out: it let one more wrong answer through there)
    "适用|合适|限制|基本|最少|最多|规定|一步|认定|提交|产生|组成|讨论|直接|长期|回事|受(?!理)|"
    # doubt, estimates and requests to explain (「…记不太清了」, 「大概要写哪些」, 「说一下」), fitted on rounds 3 and 4
    "记不太清|记不清|不太清楚|不清楚|搞不清|弄不清|不太确定|不确定|拿不准|吃不准|忘了|说一下|讲一下|说说|讲讲|介绍一下|大概|大约|左右|啥样|什么样|"
    # (「我们支部有个积极分子…」: the branch one speaks from is context; measured on rounds 2-4: +3 right, -1)
    "我单位|本单位|(?:我们|咱们|我|本)党?支部|有个同志|这个同志|一个同志|同志|这边|那边|"
    "请问|请教|问一下|想问|想知道|我想|麻烦|谢谢|您好|你好|自己|本人|相关|有关|方面|事情|事儿|东西|平时|通常|目前|一般来说|"
    "比如|例如|等等|之类|这样|那样|这种|那种|我们|咱们|你们|他们|大家|怎么办|怎么样|怎么|怎样|如何|为什么|什么|"
    "可不可以|能不能|要不要|有没有|算不算|会不会|需不需要|行不行|是不是|是否|能否|可以|应该|应当|需要|必须|"
    "哪些|哪个|哪里|一下|一般|现在|时候|情况|问题|具体|多少|多久|多长|时间|出去|回来|还是|或者|以下|以上|办理|视为|属于|算是|"
    # an estimate states a count, like 几 after 好 (「五六个月没交党费」: 5 or 6 months, common.numerals.is_estimate)
    "(?:一二|一两|两三|二三|三四|三五|四五|五六|六七|七八|八九)(?=[十百千万]?[个名位人次年月天周届项条种岁])|"
    # 其 and 他 alone are function words, 其他 is content (「兼任其他支部书记」: another branch); 党 before 支部 or
    # 总支 is what the canonical 党支部 adds to the 支部 a user typed, so an entry saying 支部委员 covers it
    "党(?=支部|总支)|其(?!他)|(?<!其)他|[我你她它的了吗呢吧啊呀哦嘛么是在有没和与或及跟还都也就才又再把被给让对从到向为以于这那个些之该要得地着过会能可应需啥咋哪谁几办搞弄做干算行吗呗哈找走来去就下里按中]"
)
# Verbs that open a predicate: an uncovered term starting with one is an action on the covered object that
# follows (采用 in 采用无记名投票), not a modifier naming another thing (民主 in 民主生活会).
PREDICATE = re.compile(
    "写|递交|提出|采用|采取|担任|运作|触发|进行|开展|实行|执行|召开|参加|参与|成立|设立|建立|撤销|解除|办理|提交|上交|交纳|缴纳|补办|补交|申请|通过|接收"
)
_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


def dice(a: dict[str, float], b: dict[str, float]) -> float:
    """Weighted Dice similarity of two feature sets (knowledge.scored.features)."""
    size = sum(a.values()) + sum(b.values())
    return 2 * sum(min(w, b[f]) for f, w in a.items() if f in b) / size if size else 0.0


def contained(a: dict[str, float], b: dict[str, float]) -> float:
    """The share of a's feature weight that b holds (1.0 for an empty a)."""
    total = sum(a.values())
    return sum(w for f, w in a.items() if f in b) / total if total else 1.0


@dataclass(frozen=True)
class Decision:
    """What to do with a question.

    kind: answer (matches[0]) | choose (matches[0] or matches[1]) | clarify (too vague; `related` are
    topics to offer) | decline (`related` are the closest entries, not answers).
    """

    kind: str
    matches: tuple[Match, ...] = ()
    related: tuple[Match, ...] = ()
    margin: float = 0.0  # the answer's lead: over the next acceptable entry (both less their
    # weighted uncovered share), else over the next ranked entry (raw)
    uncovered: tuple[str, ...] = ()  # content terms of the question the (best-ranked) entry does not cover
    aspects: frozenset[str] = frozenset()
    reason: str = ""  # why the best-ranked entry was not taken (for the gap list)

    @property
    def top(self) -> Match | None:
        return self.matches[0] if self.matches else None


def content_runs(prepared: str) -> list[str]:
    """The question's content: runs of Chinese characters or of letters/digits once stop words are removed."""
    return _RUN.findall(STOP.sub(" ", prepared))


def masked_runs(prepared: str) -> list[tuple[str, tuple[bool, ...]]]:
    """Runs of Chinese characters or letters/digits, each with which characters are content (not stop words).

    Stop words stay in their runs as neighbours (要求 keeps 要 beside 求, so 求 is covered by 要求), they only
    weigh nothing."""
    out = []
    for run in _RUN.findall(prepared):
        mask = [True] * len(run)
        for hit in STOP.finditer(run):
            mask[hit.start() : hit.end()] = [False] * (hit.end() - hit.start())
        if any(mask):
            out.append((run, tuple(mask)))
    return out


class Judge:
    """Per-entry text coverage, aspects and not_for questions for one Matcher (built with it)."""

    def __init__(
        self,
        matcher,
        normalized_texts: list[list[str]],
        normalized_not_for: list[list[str]],
        declared_aspects: list[tuple[str, ...]],
        forms: list[list[str]],
        head_sizes: list[int] | None = None,
    ):
        self.matcher = matcher
        n = len(normalized_texts)
        canon = matcher.synonyms.canonical_many
        joined = canon([" ".join(t) for t in normalized_texts])
        self.texts = joined
        # The head of each entry (title, questions, keywords: what it is about) apart from its body (answer,
        # steps, which mention things in passing): a term covered only by the body is covered BODY_LEVEL.
        sizes = head_sizes if head_sizes is not None else [len(t) for t in normalized_texts]
        self.heads = canon([" ".join(t[:k]) for t, k in zip(normalized_texts, sizes)])
        self.max_idf = math.log(1 + max(n, 1))
        self.position = {entry_id: i for i, entry_id in enumerate(matcher.entry_ids)}
        self.aspects = [entry_aspects(d, f, t) for d, f, t in zip(declared_aspects, forms, joined)]
        self.not_for = [[self._asked(matcher.prepare(t)) for t in texts if t] for texts in normalized_not_for]
        self.forms = forms  # title and example questions (normalized): the entry's positive examples
        # Decisive terms (scope.yaml): words that change what is asked (丢失, 欠, 填), in the form the question
        # takes once prepared; an entry that never mentions one cannot answer a question holding it.
        terms = matcher.kb.scope.decisive
        self.decisive = tuple(dict.fromkeys(t for t in canon(list(terms)) if t)) if terms else ()
        # Per character: its inverse entry frequency over the entries' whole texts (plain dicts and strings: what
        # crosses from the build worker to the bot must unpickle quickly, under the answering thread's GIL).
        frequency = Counter(ch for text in joined for ch in set(text) if "\u3400" <= ch <= "\u9fff")
        self.char_weight = {ch: math.log(1 + n / k) for ch, k in frequency.items()}
        # Characters by reading, to tell a homophone typo (申清 for 申请) from a new word.
        by_sound: dict[str, list[str]] = {}
        for ch in sorted(frequency):
            for sound in readings(ch):
                by_sound.setdefault(sound, []).append(ch)
        self.by_sound = {sound: "".join(chars) for sound, chars in by_sound.items()}
        self._new_memos()

    # -- coverage ------------------------------------------------------------------------------

    def _new_memos(self) -> None:
        """Per-entry feature sets and per-character weights, remembered (the popular entries come back)."""
        self._features_of = lru_cache(maxsize=ENTRY_MEMO)(self._entry_features)
        self._examples_of = lru_cache(maxsize=ENTRY_MEMO)(self._example_features)

    def __getstate__(self) -> dict:  # the memos are caches: rebuilt empty wherever the judge is unpickled
        return {k: v for k, v in self.__dict__.items() if k not in ("_features_of", "_examples_of")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._new_memos()

    def _entry_features(self, entry: int) -> dict[str, float]:
        """The bigrams (within words) and characters of an entry's whole text, each with its coverage level:
        1 in the head (title, questions, keywords), BODY_LEVEL only in the answer or steps."""
        found: dict[str, float] = {}
        for text, level in ((self.texts[entry], BODY_LEVEL), (self.heads[entry], 1.0)):
            for word in text.split(" "):
                for f in word:
                    found[f] = level
                for i in range(len(word) - 1):
                    found[word[i : i + 2]] = level
        return found

    def _weight(self, char: str) -> float:
        return self.char_weight.get(char, self.max_idf)

    def uncovered(self, runs: list[tuple[str, tuple[bool, ...]]], entry: int) -> tuple[float, tuple[str, ...]]:
        """(weighted share of the content characters entry `entry` does not cover, the uncovered terms)."""
        share, terms, _ = self.coverage(runs, entry)
        return share, terms

    def coverage(self, runs: list[tuple[str, tuple[bool, ...]]], entry: int) -> tuple[float, tuple[str, ...], bool]:
        """uncovered() and whether an uncovered term modifies a covered one (directly precedes covered content
        in the same run: 民主 in 民主生活会, 团 in 团组织关系, 正式 in 正式党员). Such a term names a different
        thing than the entry's (a 民主生活会 is not an 组织生活会); an uncovered verb or filler (担任, 运作) does not."""
        total = missing = 0.0
        modifier = False
        terms: list[str] = []
        own = self._features_of(entry)
        has, got_of = own.__contains__, own.get

        def homophone_pair(a: str, b: str, swap: int) -> bool:
            """Whether swapping the character at `swap` (0: a, 1: b) for a same-sounding one gives a covered pair.

            Only a pair the knowledge base has never seen can be a typo (as in knowledge.typos)."""
            if a + b in self.matcher.index.ids:
                return False
            if swap == 1:
                return any(
                    has(a + other) for sound in readings(b) for other in self.by_sound.get(sound, "") if other != b
                )
            return any(has(other + b) for sound in readings(a) for other in self.by_sound.get(sound, "") if other != a)

        for run, mask in runs:
            if run.isascii() and not run.isdigit():
                continue  # Latin words: HTML leftovers, names; the ranking's unseen penalty weighs them
            n = len(run)
            if n == 1:
                level = [1.0 if not ("\u3400" <= run <= "\u9fff") else got_of(run, 0.0)]
            else:
                pairs = [got_of(run[i : i + 2], 0.0) for i in range(n - 1)]
                level = []
                for i, ch in enumerate(run):
                    if (i > 0 and pairs[i - 1]) or (i < n - 1 and pairs[i]):
                        level.append(max(pairs[i - 1] if i > 0 else 0.0, pairs[i] if i < n - 1 else 0.0))
                    elif any(homophone_pair(run[i - 1], ch, s) for s in (0, 1) if i > 0) or any(
                        homophone_pair(ch, run[i + 1], s) for s in (0, 1) if i < n - 1
                    ):
                        level.append(1.0)
                    elif has(ch):
                        level.append((1.0 - LOOSE_SHARE) * got_of(ch))
                    else:
                        level.append(0.0)
            term, start = "", 0
            for i, (ch, got, content) in enumerate(zip(run, level, mask)):
                if not content:
                    if term:
                        terms.append(term)
                    term = ""
                    continue
                weight = self._weight(ch) if "\u3400" <= ch <= "\u9fff" else self.max_idf / (2 * n)
                total += weight
                missing += weight * (1.0 - got)
                if got >= BODY_LEVEL:
                    if term:
                        terms.append(term)
                        # a verb may end in covered text: 采 of 采用 when 用无记名 is covered is still 采用
                        modifier = modifier or not PREDICATE.match(run, start)
                    term = ""
                else:
                    if not term:
                        start = i
                    term += ch
            if term:
                terms.append(term)
        return (missing / total if total else 0.0), tuple(terms), modifier

    def _example_features(self, entry: int) -> tuple[dict[str, float], ...]:
        return tuple(features(self.matcher.prepare(t)) for t in self.forms[entry] if t)

    @staticmethod
    def _asked(
        prepared: str, runs: list[str] | None = None, aspects: frozenset[str] | None = None
    ) -> tuple[dict[str, float], dict[str, float], frozenset[str]]:
        """What a question asks: (all its features, its content features, its aspects); decide() passes the
        content runs and aspects it already has."""
        runs = content_runs(prepared) if runs is None else runs
        return features(prepared), features(" ".join(runs)), classify(prepared) if aspects is None else aspects

    def ruled_out_by_not_for(self, normalized: str, entry: int) -> bool:
        """Whether entry number `entry` is ruled out for this question by its `not_for` list."""
        return bool(self.not_for[entry]) and self._ruled_out_by_not_for(
            self._asked(self.matcher.prepare(normalized)), entry
        )

    def _ruled_out_by_not_for(self, asked: tuple, entry: int) -> bool:
        """Whether the question asks what one of the entry's `not_for` questions asks: it holds (nearly) all of
        that question's content and not much more, its form asks nothing that question's form cannot (「要写
        辞职报告给谁」 is not 「要写辞职报告吗」), and it is more like that question than like any example of the
        entry (「活动证怎么办理」 stays with the entry though 「活动证怎么填写」 is listed: 填写 is not in it)."""
        whole, content, aspects = asked
        for other_whole, other_content, other_aspects in self.not_for[entry]:
            if (
                contained(other_content, content) >= NOT_FOR_ASKS
                and contained(content, other_content) >= NOT_FOR_OWN
                and compatible(aspects, other_aspects)
            ):
                nearest = dice(whole, other_whole)
                if all(dice(whole, example) < nearest for example in self._examples_of(entry)):
                    return True
        return False

    @staticmethod
    def _uncovered_allowance(ranked: list[Match], rank_no: int, modifier: bool) -> float:
        """The uncovered share the entry at `rank_no` may leave: more for a clear lead (unless an uncovered term
        modifies a covered one), less for a weak match."""
        raw = ranked[rank_no].raw
        if raw < WEAK_BELOW:
            return WEAK_UNCOVERED_MAX
        following = ranked[rank_no + 1].raw if rank_no + 1 < len(ranked) else 0.0
        if rank_no == 0 and not modifier and raw >= STRONG_RAW and raw - following >= STRONG_LEAD:
            return STRONG_UNCOVERED_MAX
        return UNCOVERED_MAX

    # -- the decision ----------------------------------------------------------------------------

    def decide(self, normalized: str, ranked: list[Match] | None = None, use_not_for: bool = True) -> Decision:
        matcher = self.matcher
        prepared = matcher.prepare(normalized)
        aspects = classify(prepared)
        runs = masked_runs(prepared)
        ranked = ranked if ranked is not None else matcher.rank(normalized, limit=RANK_DEPTH)
        related = tuple(m for m in ranked[:3] if m.raw >= SUGGEST_MIN)
        typed = content_runs(prepared)
        size = sum(len(r) for r in content_runs(normalized))  # as typed: 支部 is vague though it reads 党支部
        if size == 0 or (size <= VAGUE_CHARS and not aspects):
            # offer the closest entries as topics for a term (党费, 支部), none for no content (怎么办, 10)
            term = "".join(typed)
            specific = any("\u3400" <= ch <= "\u9fff" for ch in term)
            return Decision("clarify", related=related if specific else (), aspects=aspects, reason="vague")
        index = self.position
        asked = None  # what the question asks, for not_for lists: built when the first such entry is judged
        decisive = [t for t in self.decisive if t in prepared]
        taken: list[tuple[float, Match]] = []  # (raw score less the weighted uncovered share, entry)
        first_uncovered: tuple[str, ...] = ()
        reason = ""
        for rank_no, match in enumerate(ranked):
            if taken and taken[0][1].raw - match.raw >= max(CHOOSE_MARGIN, REORDER_GAP):
                break  # too far below the first acceptable entry to overtake it or be offered beside it
            entry = index[match.entry_id]
            share, terms, modifier = self.coverage(runs, entry) if rank_no == 0 or match.accepted else (1.0, (), True)
            if rank_no == 0:
                first_uncovered = terms
            why = ""
            if not match.accepted:
                why = "low score"
            elif ranked[0].raw - match.raw > (COVERED_FALLBACK_GAP if share <= COVERED_SHARE else FALLBACK_GAP):
                why = "far below the best"
            elif not compatible(aspects, self.aspects[entry]):
                why = "aspect"
            elif share > self._uncovered_allowance(ranked, rank_no, modifier):
                why = "uncovered: " + "、".join(terms)
            elif (
                use_not_for
                and self.not_for[entry]
                and self._ruled_out_by_not_for(asked := asked or self._asked(prepared, typed, aspects), entry)
            ):
                why = "not_for"
            elif missing := [t for t in decisive if t not in self.texts[entry]]:
                why = "decisive: " + "、".join(missing)
            if why:
                reason = reason or why
                continue
            taken.append((match.raw - COVERAGE_WEIGHT * share, match))
        if not taken:
            # related entries must share some of the question's content: 「今天天气怎么样」 gets no 党徽党旗 entry
            related = tuple(m for m in related if self.coverage(runs, index[m.entry_id])[0] <= RELATED_UNCOVERED_MAX)
            return Decision("decline", related=related, uncovered=first_uncovered, aspects=aspects, reason=reason)
        # Among acceptable entries close in score, the one that covers more of the question comes first
        # (表决按应到还是实到: the admission-vote entry covers 实到, the quorum entry does not).
        taken.sort(key=lambda scored: -scored[0])
        best = taken[0][1]
        margin = (
            taken[0][0] - taken[1][0]
            if len(taken) > 1
            else best.raw - max((m.raw for m in ranked if m.entry_id != best.entry_id), default=0.0)
        )
        if len(taken) > 1 and margin < CHOOSE_MARGIN:
            return Decision("choose", (best, taken[1][1]), related, margin, first_uncovered, aspects, reason)
        return Decision("answer", (best,), related, margin, first_uncovered, aspects, reason)

    def suspicion(self, normalized: str) -> str | None:
        """Why an answer to this question may be wrong (for `bot.py gaps` and /stats), or None.

        A low margin over the next ranked entry, content terms the answering entry does not cover, or the
        question is no longer answered at all (the knowledge base changed since)."""
        ranked = self.matcher.rank(normalized, limit=RANK_DEPTH)
        decision = self.decide(normalized, ranked)
        if decision.kind != "answer":
            return f"现在不再直接回答（{decision.kind}）"
        top = decision.top
        reasons = []
        rest = [m for m in ranked if m.entry_id != top.entry_id]
        if rest and top.raw - rest[0].raw < LOW_MARGIN:
            reasons.append(f"与「{rest[0].title}」区分度低（{top.raw:.2f} 对 {rest[0].raw:.2f}）")
        runs = masked_runs(self.matcher.prepare(normalized))
        _, terms = self.uncovered(runs, self.position[top.entry_id])
        if terms:
            reasons.append("未覆盖的词：" + "、".join(terms))
        return "；".join(reasons) or None
