"""rank_many() gives exactly [matcher.rank(q, limit) for q in queries], on any knowledge base.

Every test compares with rank() itself, called on a Matcher built separately from the same knowledge
base (so rank_many() can neither change a Matcher's behaviour nor lean on what it cached).
"""

from __future__ import annotations

import gc
import random
import weakref
from pathlib import Path

import pytest
import yaml

from knowledge.batch_rank import rank_many
from knowledge.load import KnowledgeBase
from knowledge.match import Matcher
from knowledge.normalize import normalize_many, normalize_text
from knowledge.schema import Entry

PARAPHRASES = yaml.safe_load((Path(__file__).parent / "data" / "paraphrases.yaml").read_text(encoding="utf-8"))["cases"]


def entry(entry_id: str, title: str, questions: list[str], keywords: list[str] = ()) -> Entry:
    return Entry(entry_id, title, "基层实践", tuple(questions), "答案。", "测试", False, True, tuple(keywords))


def knowledge_base(entries: list[Entry], synonyms=()) -> KnowledgeBase:
    return KnowledgeBase(tuple(entries), tuple(synonyms), "test")


def synthetic(base: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """`base` grown to `size` entries the way benchmarks/bench_reload.py grow_files() writes them."""
    rng = random.Random(seed)
    pool = [chr(c) for c in range(0x4E00, 0x9FA5)]
    names: set[str] = set()
    while len(names) < size - len(base.entries):
        names.add("".join(rng.sample(pool, 3)))
    ordered = sorted(names)
    rng.shuffle(ordered)
    grown = [
        entry(
            f"synthetic.e{i}",
            f"{name}工作规范",
            [f"{name}怎么办理", f"{name}有什么要求", f"关于{name}的规定是什么"],
            [name],
        )
        for i, name in enumerate(ordered)
    ]
    return knowledge_base(list(base.entries) + grown, base.synonyms)


def examples(kb: KnowledgeBase) -> list[str]:
    return normalize_many([q for e in kb.entries for q in e.questions])


def assert_same(kb: KnowledgeBase, queries: list[str], limit: int, matcher: Matcher | None = None) -> None:
    got = rank_many(matcher or Matcher(kb), queries, limit)
    reference = Matcher(kb)
    expected = [reference.rank(q, limit) for q in queries]
    assert len(got) == len(queries)
    wrong = [(q, g, e) for q, g, e in zip(queries, got, expected) if g != e]
    assert not wrong, f"{len(wrong)} of {len(queries)} differ, e.g. {wrong[:3]}"


@pytest.fixture(scope="module")
def grown(content):
    return synthetic(content.kb, 2000)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_shipped_examples_and_paraphrases(content, limit):
    queries = examples(content.kb) + normalize_many([c["q"] for c in PARAPHRASES])
    assert_same(content.kb, queries, limit, content.matcher)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_synthetic_knowledge_base(grown, limit):
    assert len(grown.entries) == 2000
    assert_same(grown, examples(grown), limit)


CRAFTED = [
    ("empty", [""]),
    ("unseen characters only", ["zzqx", "ξψω", "鬰鬱鬲", "qq 鬰"]),
    ("single characters", ["党", "a", "7", "党 费", "a b c"]),
    ("spacing rank() never gets from normalize", [" 党费怎么交", "党费  怎么交 ", "  "]),
    ("keyword verbatim", ["党费基数", "经常性工资收入怎么算", "比例表", "税后"]),
    ("typos", ["党废怎么交", "积机分子要几个培养联系人", "预被党员有没有表决权", "入当积极分子要培养多久"]),
    ("synonyms", ["支委会怎么选", "入党流程", "政审要查什么", "延期转正怎么办", "缴党费"]),
    ("traditional script", ["預備期從哪天算", "入黨積極分子的確定和培養教育階段有哪些步驟"]),
    ("numerals and latin", ["工资4000交多少党费", "3会1课是什么", "ppt 模板"]),
    ("repeated features", ["党费党费党费党费", "交交交交交", "哈哈哈哈"]),
]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 12])
@pytest.mark.parametrize("name, questions", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_questions(content, name, questions, limit):
    assert_same(content.kb, [normalize_text(q) if q.strip() else q for q in questions], limit, content.matcher)


def test_unnormalized_and_newline_questions(content):
    assert_same(content.kb, ["党费\n怎么交", "党费怎么交", "\n", "党费？怎么交！"], 2, content.matcher)


def test_unusual_knowledge_bases():
    """No entries at all; documents of single characters only (no bigram anywhere); odd questions."""
    lone = [entry("a", "甲 乙", ["甲 乙 丙", "丙 丁", "a b"], ["甲"]), entry("b", "丁", ["戊", "己 庚", "x"])]
    questions = ["甲 乙", "甲乙", "丙", "", "x", "a b", "\ud800党", "戊 己 庚 x"]
    for kb in (knowledge_base([]), knowledge_base(lone)):
        for limit in (1, 2, 3):
            assert_same(kb, questions, limit)


def test_very_long_questions(content):
    questions = examples(content.kb)
    long = [" ".join(questions[i : i + 40]) for i in range(0, 400, 40)] + ["".join(questions[:120])]
    for limit in (1, 2, 5):
        assert_same(content.kb, long + questions[:50], limit, content.matcher)


@pytest.mark.parametrize("limit", [0, -1, -3, 200])
def test_limits_beyond_the_usual(content, limit):
    assert_same(content.kb, examples(content.kb)[:80] + ["党费", ""], limit, content.matcher)


def test_ties_between_entries():
    """Identical titles and questions in several entries: ties fall to the smaller id, as in rank()."""
    same = ["党费怎么交", "党费交给谁", "党费按月交吗"]
    entries = [entry(f"tie.{name}", "党费交纳", same, ["党费"]) for name in ("m", "b", "z", "a", "k")]
    entries += [entry("other.x", "换届选举", ["换届怎么选", "任期几年", "差额选举"], ["换届"])]
    entries += [entry("dup.same", "党费交纳", same), entry("dup.same", "党费交纳", same)]  # even one id twice
    kb = knowledge_base(entries)
    for limit in (1, 2, 3, 8, 20):
        assert_same(kb, normalize_many(same + ["党费", "交纳", "换届 党费", "党费交纳"]), limit)


def test_groups_of_identical_documents():
    """Many documents with the same common features and totals: group edges fall inside runs of ties."""
    rng = random.Random(3)
    alphabet = "甲乙丙丁"
    entries = []
    for i in range(400):
        name = "".join(rng.choice(alphabet) for _ in range(2))
        entries.append(
            entry(
                f"g.{rng.randrange(10**6):06d}.{i}",
                f"{name}工作规范",
                [f"{name}怎么办理", f"{name}有什么要求", f"关于{name}的规定是什么"],
                [name],
            )
        )
    kb = knowledge_base(entries)
    queries = examples(kb)[:300] + normalize_many(["工作规范", "怎么办理", "有什么要求", "甲乙", "关于的规定", "丙"])
    for limit in (1, 2, 3, 5, 9, 30):
        assert_same(kb, queries, limit)


def random_questions(kb: KnowledgeBase, count: int, seed: int) -> list[str]:
    """Pieces of the knowledge base's own phrases, shuffled, mixed with stray characters and spaces."""
    rng = random.Random(seed)
    phrases = [p for e in kb.entries for p in (e.title, *e.questions, *e.keywords)]
    stray = "的了吗党费支部鬰Q1 2 x "
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 4)):
            phrase = rng.choice(phrases)
            start = rng.randrange(len(phrase))
            parts.append(phrase[start : start + rng.randint(1, 8)])
        parts += [rng.choice(stray) for _ in range(rng.randint(0, 3))]
        rng.shuffle(parts)
        out.append("".join(parts))
    return normalize_many(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomized_questions(content, grown, seed):
    rng = random.Random(seed)
    for kb in (content.kb, grown):
        assert_same(kb, random_questions(kb, 400, seed), rng.randint(1, 6))


def test_matcher_is_not_kept_alive(content):
    """What rank_many() derives from a Matcher is cached only while the Matcher lives."""
    matcher = Matcher(content.kb)
    assert rank_many(matcher, ["党费怎么交"], 1) == [Matcher(content.kb).rank("党费怎么交", 1)]
    alive = weakref.ref(matcher)
    del matcher
    gc.collect()
    assert alive() is None
