"""The frozen free-text situation set (tests/data/situations.yaml) must stay at 95% or more."""

from benchmarks.bench_situations import evaluate, judge, load_set


def test_the_frozen_set_is_read_right_at_least_95_percent_of_the_time():
    total, wrong = evaluate()
    assert total >= 140
    misses = [
        f"{case['text']} → {reply.verdicts[0]['rule_id'] if reply.verdicts else reply.kind}" for case, reply in wrong
    ]
    assert (total - len(wrong)) / total >= 0.95, misses


def test_the_set_covers_every_topic_and_non_situations():
    from rules.vocab import default_vocabulary

    _, cases = load_set()
    topics = {c["rule"].split(".")[0] for c in cases if c.get("rule") not in (None, "none", "rejected")}
    topics = {"membership_status" if t == "membership" else t for t in topics}
    assert topics == set(default_vocabulary().topics)
    assert sum(c.get("rule") == "none" for c in cases) >= 20


def test_judge_needs_the_headline_not_just_any_verdict():
    class Reply:
        kind, pending = "situation", None
        verdicts = [{"rule_id": "a.x", "outcome": "pass"}, {"rule_id": "a.y", "outcome": "fail"}]

    assert judge(Reply, {"rule": "a.x", "outcome": "pass"})
    assert not judge(Reply, {"rule": "a.y", "outcome": "fail"})
    assert not judge(Reply, {"rule": "none"})
