"""Matching quality: the knowledge base's self-test and the independent paraphrase gate."""

from pathlib import Path

import pytest
import yaml

from handlers.content.content import self_test
from knowledge.normalize import normalize_text

PARAPHRASES = yaml.safe_load((Path(__file__).parent / "data" / "paraphrases.yaml").read_text(encoding="utf-8"))["cases"]


def test_every_example_question_ranks_its_own_entry_first(content):
    problems = self_test(content)
    assert problems == [], "\n".join(map(str, problems[:20]))


def decide(content, question):
    """(entry id answered or None when declined) the way the pipeline decides."""
    normalized = normalize_text(question)
    if content.kb.scope.outside_hint(normalized):
        return None
    ranked = content.matcher.rank(normalized, limit=1)
    return ranked[0].entry_id if ranked and ranked[0].accepted else None


def test_paraphrase_set_is_large_and_varied():
    kinds = [c["kind"] for c in PARAPHRASES]
    assert len(PARAPHRASES) >= 120
    assert kinds.count("out_of_scope") >= 25
    assert kinds.count("traditional") >= 20 and kinds.count("typo") >= 20


def test_paraphrase_gate(content):
    """≥90% of in-scope questions answered with the right entry; ≥90% of out-of-scope ones declined."""
    in_scope = [c for c in PARAPHRASES if c["expect"]]
    outside = [c for c in PARAPHRASES if not c["expect"]]
    misses = [
        (c["q"], c["expect"], decide(content, c["q"])) for c in in_scope if decide(content, c["q"]) != c["expect"]
    ]
    wrongly_answered = [(c["q"], decide(content, c["q"])) for c in outside if decide(content, c["q"]) is not None]
    top1 = 1 - len(misses) / len(in_scope)
    declined = 1 - len(wrongly_answered) / len(outside)
    assert top1 >= 0.90, f"top-1 {top1:.3f}; misses: {misses}"
    assert declined >= 0.90, f"declined {declined:.3f}; answered: {wrongly_answered}"


def test_expected_ids_exist(content):
    unknown = {c["expect"] for c in PARAPHRASES if c["expect"]} - set(content.kb.by_id)
    assert unknown == set()


@pytest.mark.parametrize(
    "question, entry_id",
    [
        ("积机分子要几个培养联系人", "admission.contact_person"),  # homophone typo
        ("预被党员有没有表决权", "admission.probation_rights"),
        ("党废按什么基数算", "dues.base"),
        ("預備期從哪天算", "admission.probation_length"),  # traditional script
        ("俩正式党员能成立支部不", "organization.branch_threshold"),
    ],
)
def test_typos_and_scripts(content, question, entry_id):
    assert decide(content, question) == entry_id


@pytest.mark.parametrize(
    "question", ["今天天气怎么样", "茅台股票还能买吗", "工会会费交多少", "入团年龄是多少", "红烧肉怎么做", "讲个笑话"]
)
def test_out_of_scope_is_declined(content, question):
    assert decide(content, question) is None


@pytest.mark.parametrize(
    "typed, repaired",
    [
        ("积机分子", "入党积极分子"),  # canonical synonym after repair
        ("入当积极分子", "入党积极分子"),  # a typo beside a synonym: repaired before the synonym rewrites it
        ("党废怎么交", "党费怎么交"),
        ("预被党员", "预备党员"),
        ("停止党籍满两年", "停止党籍满2年"),  # 籍 of the known word 党籍 is not swapped for 期 (期满)
        ("支部书记能连任几届", "支部书记能连任几届"),  # 几 before a measure word asks a count: not 期 (任期)
        ("工会主席怎么选", "工会主席怎么选"),  # known-good text is never "corrected"
        ("组织审批", "组织审批"),
    ],
)
def test_typo_repair(content, typed, repaired):
    assert content.matcher.prepare(normalize_text(typed)) == repaired


@pytest.mark.parametrize(
    "typed, repaired",
    [
        ("2025年党废怎么交", "2025年党费怎么交"),  # digits and letters around a typo
        ("abc预被党员xyz 积机分子", "abc预备党员xyz 入党积极分子"),
        ("党废党废党废", "党费党费党费"),
    ],
)
def test_typo_repair_works_on_each_run_of_chinese(content, typed, repaired):
    assert content.matcher.prepare(normalize_text(typed)) == repaired
    assert content.matcher.prepare(normalize_text(typed)) == repaired  # and again, from the run memo


def test_normalize_known_is_normalize_many(content):
    from knowledge.normalize import normalize_many

    texts = [q for e in content.kb.entries for q in e.questions] + [e.title for e in content.kb.entries]
    texts += ["從未見過的問題？", "  ", "ＡＢＣ两名党员", texts[0]]
    assert content.matcher.normalize_known(texts) == normalize_many(texts)


def test_a_matcher_crosses_a_process_boundary_and_still_ranks_the_same(content):
    import pickle

    copy = pickle.loads(pickle.dumps(content.matcher))
    for question in ("入党要几个介绍人", "党废怎么交", "預備期從哪天算"):
        assert copy.rank(normalize_text(question)) == content.matcher.rank(normalize_text(question))
    assert copy.normalize_known(["入党要几个介绍人"]) == ["入党要几个介绍人"]


def test_keyword_scan_finds_every_keyword_in_the_query(content):
    """The scan looks only at lengths of keywords starting with each character: same hits as trying them all."""
    import numpy as np

    m = content.matcher
    cases = yaml.safe_load((Path(__file__).parent / "data" / "paraphrases.yaml").read_text(encoding="utf-8"))["cases"]
    keywords = list(m.keyword_span)
    queries = [m.prepare(normalize_text(c["q"])) for c in cases] + ["".join(keywords[i::37]) for i in range(37)]
    hit = 0
    for query in queries:
        spans = m.keyword_span
        found = {
            query[i : i + n] for n in m.keyword_lengths for i in range(len(query) - n + 1) if query[i : i + n] in spans
        }
        expected = None
        if found:
            picked = np.concatenate([np.arange(*spans[k]) for k in found])
            expected = np.bincount(
                m.keyword_owner[picked], weights=m.keyword_weight[picked], minlength=len(m.entry_ids)
            )
        got = m._keyword_hits(query)
        assert (got is None) == (expected is None), query
        if got is not None:
            hit += 1
            assert np.allclose(got, expected), query
    assert hit > 100
