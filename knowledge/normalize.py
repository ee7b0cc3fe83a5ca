"""Text normalization shared by questions and entries, and script detection/conversion.

normalize_text() is applied once to a question and once to every entry phrase, so both sides meet
in the same form: NFKC (full-width to half-width), lower case, traditional to simplified (OpenCC,
phrase level), quantity numerals to digits, and punctuation/emoji/whitespace folded to one space.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate

import numpy as np
import opencc

from common.numerals import NUMERAL_CHARS, UNITS, numerals_to_digits

# Keep CJK ideographs, Latin letters, digits, '%' and '.' inside numbers; everything else separates.
_NON_CONTENT = re.compile(r"[^0-9a-z%\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff.]+")
_LONE_DOT = re.compile(r"(?<![0-9])\.|\.(?![0-9])")
_HTML_TAG = re.compile(r"</?[a-z][a-z0-9]*(\s[^<>]{0,200})?/?>")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional to simplified, phrase level."""
    return _converter("t2s.json").convert(text)


def to_traditional(text: str) -> str:
    """Simplified to traditional, with the character forms most readers use (為, not 爲)."""
    return _converter("s2tw.json").convert(text)


@lru_cache(maxsize=64)  # the messages in flight (a few); long texts make a big memo pointless
def fold(text: str) -> str:
    """NFKC, lower case, simplified script; keeps punctuation (used by the fact extractor).

    Memoized: one message is folded three times on its way (the Telegram handler's keyword check, the
    matcher's normalization, the fact extractor), and OpenCC's conversion is the costly part."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def normalize_folded(folded: str) -> str:
    """normalize_text for a text already passed through fold() (the pipeline folds each message once)."""
    folded = numerals_to_digits(_HTML_TAG.sub(" ", folded))
    return " ".join(_LONE_DOT.sub(" ", _NON_CONTENT.sub(" ", folded)).split())


def normalize_text(text: str) -> str:
    """The one normalization for matching: folded, HTML tags dropped, numerals as digits, punctuation as spaces."""
    return normalize_folded(fold(text))


# The same patterns for texts joined by "\n": they never match across the separator.
_HTML_TAG_LINES = re.compile(r"</?[a-z][a-z0-9]*([^\S\n][^<>\n]{0,200})?/?>")
_NON_CONTENT_LINES = re.compile(r"[^0-9a-z%\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff.\n]+")
_LONE_DOT_FAST = re.compile(r"\.(?:(?<![0-9]\.)|(?![0-9]))")  # _LONE_DOT, anchored on the dot
# Where numerals_to_digits can change anything: a numeral after 第, before a unit, after 百分之, or 俩.
_NUMERAL_SITE = re.compile(
    f"俩|第[{NUMERAL_CHARS}]|百分之[{NUMERAL_CHARS}]|[{NUMERAL_CHARS}]多?(?:{'|'.join(map(re.escape, UNITS))})"
)
_NUMERAL_CHUNK = 4096  # numerals_to_digits slices its whole input per match: keep the pieces small


def _nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), fast on long texts that are mostly normalized already.

    Each character is first replaced by its own NFKC form: the result is compatibility-equivalent to
    the input, so its NFKC form is the same, and that last pass is only a quick check when nothing
    is left to compose.
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    present = np.zeros(0x110000, dtype=bool)
    present[codes] = True
    for code in np.flatnonzero(present[0x80:]) + 0x80:
        char = chr(code)
        mapped = unicodedata.normalize("NFKC", char)
        if mapped != char:
            text = text.replace(char, mapped)
    return unicodedata.normalize("NFKC", text)


def _numerals_many(lines: list[str]) -> list[str]:
    """[numerals_to_digits(line) for line in lines], calling it only on lines where it can change something."""
    offsets = list(accumulate((len(line) + 1 for line in lines), initial=0))
    sites = sorted({bisect_right(offsets, m.start()) - 1 for m in _NUMERAL_SITE.finditer("\n".join(lines))})
    out = list(lines)
    for first in range(0, len(sites), 64):
        group = sites[first : first + 64]
        chunk = "\n".join(lines[i] for i in group)
        if len(chunk) > _NUMERAL_CHUNK:
            done = [numerals_to_digits(lines[i]) for i in group]
        else:
            done = numerals_to_digits(chunk).split("\n")
        for i, line in zip(group, done):
            out[i] = line
    return out


def normalize_many(texts: list[str]) -> list[str]:
    """[normalize_text(t) for t in texts], in one pass over all of them (for indexing a knowledge base).

    The texts are joined with newlines and each step runs once over the whole: every step works
    character by character or with patterns that cannot cross a newline, so each line comes out
    exactly as normalize_text() gives it. A text holding a newline itself is normalized alone.
    """
    alone = {i for i, t in enumerate(texts) if "\n" in t}
    batch = [t for i, t in enumerate(texts) if i not in alone]
    if batch:
        lines = to_simplified(_nfkc("\n".join(batch)).lower()).split("\n")
        if len(lines) != len(batch):  # folding made or removed a line break: never seen, but stay exact
            return [normalize_text(t) for t in texts]
        lines = _numerals_many(_HTML_TAG_LINES.sub(" ", "\n".join(lines)).split("\n"))
        spaced = _LONE_DOT_FAST.sub(" ", _NON_CONTENT_LINES.sub(" ", "\n".join(lines)))
        batch = [" ".join(line.split()) for line in spaced.split("\n")]
    if not alone:
        return batch
    rest = iter(batch)
    return [normalize_text(t) if i in alone else next(rest) for i, t in enumerate(texts)]


def detect_script(text: str) -> str:
    """'traditional' if the text uses more traditional-only than simplified-only characters."""
    nfkc = unicodedata.normalize("NFKC", text)
    as_simplified = to_simplified(nfkc)
    traditional_only = sum(1 for a, b in zip(nfkc, as_simplified) if a != b)
    if traditional_only == 0 or len(as_simplified) != len(nfkc):
        return "simplified" if traditional_only == 0 else "traditional"
    as_traditional = to_traditional(nfkc)
    simplified_only = sum(1 for a, b in zip(nfkc, as_traditional) if a != b)
    return "traditional" if traditional_only >= simplified_only else "simplified"


def in_script(text: str, script: str) -> str:
    """Render answer text in the asker's script."""
    return to_traditional(text) if script == "traditional" else text


_FOLDED_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def tidy_chinese(text: str) -> str:
    """Drop the spaces YAML line folding leaves between Chinese characters."""
    return _FOLDED_SPACE.sub("", text.strip())


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
