"""Gap clusters on seeded rows (see conftest.QUERIES), against a fixed now."""

import pytest

from storage import GapCluster, format_gaps, gap_clusters
from storage.gaps import bigrams, comparable, jaccard

A = "入党积极分子的考察表怎么填"
B = "入党积极分子考察表怎么填？"
C = "党员大会要多少人到场才有效"
D = "党员大会要多少人到会才有效"

ENTRIES = {A: ("admission.activist_review", "积极分子考察频次"), D: ("meeting.quorum", "党员大会有效人数")}


def nearest(text):
    return ENTRIES.get(text)


@pytest.mark.parametrize(
    "left, right, similarity",
    [
        (A, "入党积极分子考察表怎么填", 10 / 13),
        (C, D, 10 / 14),
        (C, "党员大会到会多少人才有效", 7 / 16),
        ("党费怎么交", "今天天气怎么样", 1 / 9),
        ("党", "党", 1.0),
        ("党", "党费", 0.0),
    ],
)
def test_jaccard_of_bigrams(left, right, similarity):
    assert jaccard(bigrams(left), bigrams(right)) == pytest.approx(similarity)


@pytest.mark.parametrize(
    "text, expected",
    [(B, "入党积极分子考察表怎么填"), ("  党费 ,怎么 交 ", "党费怎么交"), ("ＡＢ c1!", "ａｂc1"), ("？！", "")],
)
def test_comparable(text, expected):
    assert comparable(text) == expected


def test_gap_clusters_all_time(seeded, now):
    assert gap_clusters(seeded, nearest, now=now) == [
        GapCluster(3, A, (B,), "admission.activist_review", "积极分子考察频次"),
        GapCluster(2, D, (C,), "meeting.quorum", "党员大会有效人数"),
        GapCluster(1, "今天天气怎么样", (), None, None),
        GapCluster(1, "党费怎么交", (), None, None),
    ]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"days": 7}, [(3, A), (2, D), (1, "今天天气怎么样")]),
        ({"days": 7, "limit": 2}, [(3, A), (2, D)]),
        ({"days": 1}, [(2, D), (2, A), (1, "今天天气怎么样")]),  # ties by representative: 党 < 入
        ({"low_score": 0.35}, [(3, A), (1, "今天天气怎么样"), (1, D), (1, "党费怎么交")]),
        ({"similarity": 0.8}, [(2, A), (1, "今天天气怎么样"), (1, D), (1, C), (1, "党费怎么交"), (1, B)]),
    ],
)
def test_gap_clusters_parameters(seeded, kwargs, expected, now):
    clusters = gap_clusters(seeded, nearest, now=now, **kwargs)
    assert [(c.size, c.representative) for c in clusters] == expected


def test_gap_clusters_without_nearest(seeded, now):
    first = gap_clusters(seeded, None, now=now)[0]
    assert (first.nearest_entry_id, first.nearest_title) == (None, None)


def test_format_gaps(seeded, now):
    assert format_gaps(gap_clusters(seeded, nearest, days=7, now=now)) == "\n".join(
        [
            "知识库待补充（3 组，按问题数排序）：",
            f"1. 3 条类似「{A}」 → 最接近：admission.activist_review 积极分子考察频次",
            f"   例：{B}",
            f"2. 2 条类似「{D}」 → 最接近：meeting.quorum 党员大会有效人数",
            f"   例：{C}",
            "3. 1 条类似「今天天气怎么样」 → 最接近：（无）",
        ]
    )


def test_format_gaps_empty():
    assert format_gaps([]) == "没有未回答或低置信度的问题。"


def test_suspect_answers_lists_answered_questions_with_a_reason(seeded):
    from storage import format_suspects, suspect_answers

    reasons = {"积极分子多久考察一次": "与「积极分子考察」区分度低", "积极分子考察": None}
    seen = []

    def suspect(text):
        seen.append(text)
        return reasons.get(text)

    found = suspect_answers(seeded, suspect)
    # declined rows and situation answers (with verdicts) are not re-read; answered ones are
    assert "今天天气怎么样" not in seen and "积极分子考察频次" not in seen and "积极分子考察" in seen
    assert [(s.text, s.entry_id, s.count) for s in found] == [("积极分子多久考察一次", "admission.activist_review", 1)]
    assert "区分度低" in format_suspects(found)


def test_suspect_answers_survives_a_failing_reader(seeded):
    from storage import suspect_answers

    def broken(text):
        raise RuntimeError("boom")

    assert suspect_answers(seeded, broken) == []
