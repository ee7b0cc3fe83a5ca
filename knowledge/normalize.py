"""Text normalization shared by questions and entries, and script detection/conversion.

normalize_text() is applied once to a question and once to every entry phrase, so both sides meet
in the same form: NFKC (full-width to half-width), lower case, traditional to simplified (OpenCC,
phrase level), quantity numerals to digits, and punctuation/emoji/whitespace folded to one space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

from common.numerals import numerals_to_digits

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


def fold(text: str) -> str:
    """NFKC, lower case, simplified script; keeps punctuation (used by the fact extractor)."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def normalize_text(text: str) -> str:
    """The one normalization for matching: folded, HTML tags dropped, numerals as digits, punctuation as spaces."""
    folded = numerals_to_digits(_HTML_TAG.sub(" ", fold(text)))
    return " ".join(_LONE_DOT.sub(" ", _NON_CONTENT.sub(" ", folded)).split())


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
