"""A ranked entry (Match), its calibrated confidence and the features a text is scored on.

Apart from knowledge.match so that knowledge.judge, which the Matcher builds, can use them without an
import cycle (knowledge.match re-exports every name here).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.index import UNIGRAM_WEIGHT

ACCEPT = 0.17  # raw score at which an answer is given (calibrated confidence 0.5)
MAX_UNSEEN = 0.65  # a question mostly made of words the knowledge base never uses is declined
# (raw score, calibrated confidence) knots, fitted on tests/data/paraphrases.yaml; see docs/benchmarks.md
CALIBRATION = ((0.0, 0.0), (ACCEPT, 0.5), (0.3, 0.8), (0.5, 0.95), (1.0, 1.0))


@dataclass(frozen=True)
class Match:
    """One ranked entry: `raw` similarity and calibrated `confidence`, both in [0, 1]."""

    entry_id: str
    title: str
    raw: float
    unseen: float = 0.0

    @property
    def confidence(self) -> float:
        return calibrate(self.raw) if self.unseen <= MAX_UNSEEN else min(calibrate(self.raw), 0.49)

    @property
    def accepted(self) -> bool:
        return self.raw >= ACCEPT and self.unseen <= MAX_UNSEEN


def calibrate(raw: float) -> float:
    """Piecewise-linear map from raw score to the probability that the top answer is right."""
    for (x0, y0), (x1, y1) in zip(CALIBRATION, CALIBRATION[1:]):
        if raw <= x1:
            return round(y0 + (y1 - y0) * (max(raw, x0) - x0) / (x1 - x0), 3)
    return 1.0


def features(text: str) -> dict[str, float]:
    """Bigrams (weight 1) and CJK unigrams (UNIGRAM_WEIGHT) of a normalized text, per word."""
    feats: dict[str, float] = {}
    for word in text.split(" "):
        for i in range(len(word) - 1):
            feats[word[i : i + 2]] = 1.0
        for ch in word:
            if "\u3400" <= ch <= "\u9fff":
                feats.setdefault(ch, UNIGRAM_WEIGHT)
        if len(word) == 1 and word not in feats:
            feats[word] = UNIGRAM_WEIGHT
    return feats
