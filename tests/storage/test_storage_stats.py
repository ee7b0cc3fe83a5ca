"""Usage figures on seeded rows (see conftest.QUERIES), against a fixed now."""

import pytest

from storage import format_stats, stats

A = "入党积极分子的考察表怎么填"

STATS_7_DAYS = {
    "days": 7,
    "since": "2025-03-03T04:00:00.000000+00:00",
    "total": 11,
    "declined_total": 5,
    "per_day": [("2025-03-09", 5), ("2025-03-10", 6)],  # Beijing dates: q01 (17:00 UTC) is 03-09
    "top_entries": [("admission.activist_review", 3), ("dues.standard", 2), ("meeting.quorum", 1)],
    "top_policies": [("branch.setup_min_members", 2), ("dues.rate", 2)],
    "declined": [
        (A, 2),
        ("今天天气怎么样", 1),
        ("党员大会要多少人到会才有效", 1),
        ("入党积极分子考察表怎么填？", 1),
    ],
    "latency_mean_ms": 140.9,  # 1550 / 11
    "latency_p95_ms": 1000.0,  # nearest rank ceil(0.95 * 11) = 11th
    "feedback_up": 2,
    "feedback_down": 1,
    "feedback_ratio": 0.667,
    "choices_shown": 0,
    "choice_picks": [],
}

STATS_ALL = {
    **STATS_7_DAYS,
    "days": None,
    "since": None,
    "total": 12,
    "declined_total": 6,
    "per_day": [("2025-01-01", 1), ("2025-03-09", 5), ("2025-03-10", 6)],
    "declined": [
        (A, 2),
        ("今天天气怎么样", 1),
        ("党员大会要多少人到会才有效", 1),
        ("党费怎么交", 1),
        ("入党积极分子考察表怎么填？", 1),
    ],
    "latency_mean_ms": 129.6,  # 1555 / 12
    "latency_p95_ms": 1000.0,
    "feedback_down": 2,
    "feedback_ratio": 0.5,
    "choices_shown": 0,
    "choice_picks": [],
}


@pytest.mark.parametrize("days, expected", [(7, STATS_7_DAYS), (None, STATS_ALL)])
def test_stats(seeded, days, expected, now):
    assert stats(seeded, days, now) == expected


@pytest.mark.parametrize(
    "days, total, per_day",
    [
        (1, 7, [("2025-03-09", 1), ("2025-03-10", 6)]),
        (2, 11, [("2025-03-09", 5), ("2025-03-10", 6)]),  # cutoff 03-08 04:00 UTC keeps q01
        (0, 0, []),
    ],
)
def test_stats_window(seeded, days, total, per_day, now):
    d = stats(seeded, days, now)
    assert (d["total"], d["per_day"]) == (total, per_day)


def test_stats_top_limit(seeded, now):
    assert stats(seeded, None, now, top=1)["top_entries"] == [("admission.activist_review", 3)]


def test_stats_on_empty_database(db, now):
    d = stats(db, 30, now)
    assert {k: d[k] for k in ("total", "per_day", "latency_mean_ms", "latency_p95_ms", "feedback_ratio")} == {
        "total": 0,
        "per_day": [],
        "latency_mean_ms": None,
        "latency_p95_ms": None,
        "feedback_ratio": None,
    }
    assert format_stats(d) == "\n".join(
        [
            "查询统计：最近 30 天（北京时间 2025-02-08 12:00 起）",
            "总查询：0 次；未能回答：0 次",
            "每日查询（北京时间）：无",
            "最常命中的条目：无",
            "最常触发的政策：无",
            "未能回答的问题：无",
            "响应时间：无数据",
            "反馈：👍 0，👎 0，好评率 无",
        ]
    )


def test_format_stats(seeded, now):
    assert format_stats(stats(seeded, 7, now)) == "\n".join(
        [
            "查询统计：最近 7 天（北京时间 2025-03-03 12:00 起）",
            "总查询：11 次；未能回答：5 次（45.5%）",
            "每日查询（北京时间）：",
            "  2025-03-09  5",
            "  2025-03-10  6",
            "最常命中的条目：",
            "  admission.activist_review  3",
            "  dues.standard  2",
            "  meeting.quorum  1",
            "最常触发的政策：",
            "  branch.setup_min_members  2",
            "  dues.rate  2",
            "未能回答的问题：",
            f"  {A}  2",
            "  今天天气怎么样  1",
            "  党员大会要多少人到会才有效  1",
            "  入党积极分子考察表怎么填？  1",
            "响应时间：平均 140.9 毫秒，P95 1000.0 毫秒",
            "反馈：👍 2，👎 1，好评率 66.7%",
        ]
    )
