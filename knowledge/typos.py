"""Homophone typo repair against the domain lexicon (党废 -> 党费, 积机分子 -> 积极分子, 预被党员 -> 预备党员).

Pinyin input makes most typos same-sounding characters. A window of the question is repaired only when
(1) it contains a bigram the knowledge base has never seen, and (2) swapping exactly one character of it
for a same-sounding one yields a lexicon term (an entry keyword or a synonym). Text the knowledge base
knows is never touched, so a correct question cannot be "corrected" away from its meaning.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections import defaultdict
from collections.abc import Container
from functools import lru_cache
from pathlib import Path


RUN_MEMO = 16384  # distinct runs of Chinese characters whose repair is remembered, per fixer
WINDOW_MEMO = 65536  # distinct windows (2-8 characters) whose repair is remembered, per fixer
_CJK_RUN = re.compile("[\u4e00-\u9fff]{2,}")
# 几 before a measure word asks a count (几届, 几个, 几年): never a typo, whatever it sits beside
_ASKS_A_COUNT = re.compile("几(?=[个名位人次年月天周届项条种批轮岁])")


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[int, str]:
    """pypinyin's single-character table (code point -> "jiě,jiè,xiè"), read on first use straight from its
    data module: importing the pypinyin package loads its phrase dictionaries too (~0.17 s of every cold start),
    and a single character's readings need only this table."""
    spec = importlib.util.find_spec("pypinyin")
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.py"
    data = importlib.util.spec_from_file_location("_zhibu_pinyin_dict", path)
    module = importlib.util.module_from_spec(data)
    data.loader.exec_module(module)
    return module.pinyin_dict


def _toneless(reading: str) -> str:
    """jiě -> jie, lǚ -> lv: pypinyin's Style.NORMAL spelling."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=65536)
def readings(char: str) -> frozenset[str]:
    """Toneless pinyin readings of one character (empty for non-Chinese)."""
    if not ("\u4e00" <= char <= "\u9fff"):
        return frozenset()
    table = _pinyin_table().get(ord(char), "")
    return frozenset(_toneless(r) for r in table.split(",") if r)


@lru_cache(maxsize=65536)
def usual_reading(char: str) -> frozenset[str]:
    """The character's usual toneless reading (empty for non-Chinese): a typed wrong character was picked
    from the input method under that reading (解 is typed as jie, not as its rare reading xie)."""
    if not ("\u4e00" <= char <= "\u9fff"):
        return frozenset()
    table = _pinyin_table().get(ord(char), "")
    return frozenset(_toneless(r) for r in table.split(",")[:1] if r)


def _is_cjk_term(term: str) -> bool:
    return 2 <= len(term) <= 8 and all("\u4e00" <= ch <= "\u9fff" for ch in term)


class TypoFixer:
    """Repairs one-character homophone typos of lexicon terms."""

    def __init__(self, known_bigrams: Container[str], lexicon: set[str]):
        self.known = known_bigrams  # any container: only two-character strings are looked up
        self.terms = {t for t in lexicon if _is_cjk_term(t)}
        self.lengths = sorted({len(t) for t in self.terms}, reverse=True)
        # "预?党员" -> [("预备党员", 1)]: every term with one position blanked out.
        self.blanked: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for term in sorted(self.terms):
            for i in range(len(term)):
                self.blanked[term[:i] + "?" + term[i + 1 :]].append((term, i))
        self._new_memos()

    def _new_memos(self) -> None:
        """Memos of runs and of windows: a new question ("请问…", "…呢") is mostly windows seen before."""
        self._fix_run = lru_cache(maxsize=RUN_MEMO)(self._repair_run)
        self._fix_window = lru_cache(maxsize=WINDOW_MEMO)(self._repair)

    def __getstate__(self) -> dict:  # the memos are caches: rebuilt empty wherever the fixer is unpickled
        return {k: v for k, v in self.__dict__.items() if k not in ("_fix_run", "_fix_window")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._new_memos()

    def _repair(self, window: str) -> str | None:
        """The lexicon term one homophone away from `window`, if exactly one position fits."""
        for i, ch in enumerate(window):
            sounds = usual_reading(ch)
            if not sounds:
                continue
            # The swapped character must sit in an unseen bigram: that is where the typo is.
            left = window[i - 1] + ch if i > 0 else None
            right = ch + window[i + 1] if i + 1 < len(window) else None
            if all(b is None or b in self.known for b in (left, right)):
                continue
            for term, pos in self.blanked.get(window[:i] + "?" + window[i + 1 :], ()):
                if pos == i and readings(term[i]) & sounds:
                    return term
        return None

    def fix(self, text: str) -> str:
        """Return text with homophone typos of lexicon terms repaired, longest terms first.

        Only runs of Chinese characters are looked at: every lexicon term is all-Chinese and a repair swaps a
        Chinese character, so a window holding a digit, a letter or a space can never become a term. Runs
        repeat from question to question ("成为预备党员"), so each run's repair is memoized."""
        return _CJK_RUN.sub(lambda run: self._fix_run(run.group()), text)

    def _gains(self, word: str, start: int, fixed: str) -> bool:
        """Whether swapping in `fixed` at `start` makes more of the swapped character's two bigrams in the whole run
        known than before. 党籍满 is not 党期满: 期满 is known but 党期 is not, while 党籍 was (the window 籍满 alone
        cannot tell); 预被党员 is 预备党员: 被党 was known, and 预备 and 备党 both are."""
        at = start + next(i for i, (a, b) in enumerate(zip(word[start:], fixed)) if a != b)
        if _ASKS_A_COUNT.match(word, at):
            return False  # 连任几届 asks how many terms: 几 is not a typo of 期 (任期)
        after = word[:start] + fixed + word[start + len(fixed) :]

        def known(text: str) -> int:
            return sum(text[j : j + 2] in self.known for j in (at - 1, at) if 0 <= j and j + 2 <= len(text))

        return known(after) > known(word)

    def _repair_run(self, word: str) -> str:
        # unseen[j]: the bigram at j is unknown. Only a window holding one can be repaired.
        unseen = [word[j : j + 2] not in self.known for j in range(len(word) - 1)]
        if not any(unseen):
            return word
        for length in self.lengths:
            start = 0
            while start + length <= len(word):
                window = word[start : start + length]
                fixed = None
                if any(unseen[start : start + length - 1]) and window not in self.terms:
                    fixed = self._fix_window(window)
                if fixed and not self._gains(word, start, fixed):
                    fixed = None
                if fixed:
                    word = word[:start] + fixed + word[start + length :]
                    unseen = [word[j : j + 2] not in self.known for j in range(len(word) - 1)]
                    start += length
                else:
                    start += 1
        return word
