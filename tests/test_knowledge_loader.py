"""Loader errors: each names the file, line and field, with a message a YAML author can act on."""

from pathlib import Path

import pytest

from knowledge.load import load_knowledge
from tests.conftest import knowledge_folder

GOOD = """version: 1
entries:
  - id: test.alpha
    title: 测试条目
    category: 入党程序
    questions: [入党要几个介绍人, 介绍人要几个, 需要几名入党介绍人]
    answer: 两名正式党员。
    source: {ref: party_constitution, article: 第五条}
    verified: true
    local_practice: false
"""

BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefg", "bcdefgh")
)


def load(tmp_path: Path, text: str | bytes, name: str = "t.yaml"):
    folder = knowledge_folder(tmp_path)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (folder / name).write_bytes(data)
    kb, problems = load_knowledge(folder, tmp_path)
    return kb, [str(p) for p in problems]


def test_good_file_loads(tmp_path):
    kb, problems = load(tmp_path, GOOD)
    assert problems == []
    assert [e.id for e in kb.entries] == ["test.alpha"]
    assert kb.by_id["test.alpha"].line == 3


@pytest.mark.parametrize(
    "citation, verified, rendered",
    [
        ("{ref: party_constitution, article: 第五条}", "true", "《中国共产党章程》（2022年修改）第五条"),
        # an article that could not be checked is not shown
        ("{ref: party_constitution, article: 第五条}", "false", "《中国共产党章程》（2022年修改）"),
        (
            "[{ref: branch_regulations, article: 第四条}, {ref: party_constitution, article: 第三十条}]",
            "true",
            "《中国共产党支部工作条例（试行）》（2018年）第四条；《中国共产党章程》（2022年修改）第三十条",
        ),
        (
            "{ref: mobile_members_opinion_2024, no_article: 全文未逐条读到}",
            "true",
            "《关于进一步加强和改进流动党员管理工作的意见》（2024年）",
        ),
    ],
)
def test_source_line_is_rendered_from_the_registry(tmp_path, citation, verified, rendered):
    text = GOOD.replace("{ref: party_constitution, article: 第五条}", citation).replace(
        "verified: true", f"verified: {verified}"
    )
    kb, problems = load(tmp_path, text)
    assert problems == []
    assert kb.by_id["test.alpha"].source == rendered


def test_a_local_practice_names_its_place(tmp_path):
    text = GOOD.replace("{ref: party_constitution, article: 第五条}", "{ref: local_hechuan}").replace(
        "local_practice: false", "local_practice: true"
    )
    kb, problems = load(tmp_path, text)
    assert problems == []
    assert (
        kb.by_id["test.alpha"].source
        == "《围绕城乡统筹抓党建 探索建立城乡统筹机关党建新格局》（重庆市合川区，地方做法）"
    )


def test_the_shipped_knowledge_cites_only_registered_sources_and_no_internal_names():
    from tests.conftest import ROOT

    kb, problems = load_knowledge(ROOT / "knowledge", ROOT)
    assert kb is not None, "\n".join(map(str, problems))
    for entry in kb.entries:
        assert entry.citations, entry.id
        for citation in entry.citations:
            source = kb.sources[citation.ref]
            if not source.local:
                assert citation.article or citation.no_article, entry.id
        for text in (entry.answer, entry.source, entry.note, entry.title):
            assert "种子材料" not in text, entry.id
            if not entry.local_practice:
                assert "待核实" not in text, entry.id


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (
            "missing field",
            GOOD.replace("    answer: 两名正式党员。\n", ""),
            "knowledge/t.yaml:3: entries[0].answer: required field missing",
        ),
        (
            "wrong type",
            GOOD.replace(
                "questions: [入党要几个介绍人, 介绍人要几个, 需要几名入党介绍人]", "questions: 入党要几个介绍人"
            ),
            "knowledge/t.yaml:6: entries[0].questions: expected a list of text, got text",
        ),
        (
            "boolean where text is expected",
            GOOD.replace("title: 测试条目", "title: no"),
            "knowledge/t.yaml:4: entries[0].title: expected text, got a boolean (false) "
            "(YAML reads yes/no/on/off as booleans: put the text in quotes)",
        ),
        (
            "yes as a question",
            GOOD.replace(
                "[入党要几个介绍人, 介绍人要几个, 需要几名入党介绍人]", "[入党要几个介绍人, yes, 需要几名入党介绍人]"
            ),
            "knowledge/t.yaml:6: entries[0].questions[1]: expected text, got a boolean (true) "
            "(YAML reads yes/no/on/off as booleans: put the text in quotes)",
        ),
        (
            "text where a boolean is expected",
            GOOD.replace("verified: true", 'verified: "true"'),
            "knowledge/t.yaml:9: entries[0].verified: expected true or false, got text",
        ),
        (
            "unknown field",
            GOOD + "    answr: 拼错的字段\n",
            "knowledge/t.yaml:11: entries[0].answr: unknown field (known fields: id, title, category, questions, "
            "keywords, answer, steps, source, verified, local_practice, related, tags, note, aspects, not_for)",
        ),
        (
            "duplicate key",
            GOOD + "    answer: 第二个答案\n",
            "knowledge/t.yaml:11: entries[0].answer: duplicate key 'answer' (first defined on line 7)",
        ),
        (
            "duplicate id",
            GOOD + GOOD.split("entries:\n")[1],
            "knowledge/t.yaml:11: id test.alpha: duplicate id (first defined at knowledge/t.yaml:3)",
        ),
        (
            "unknown related id",
            GOOD + "    related: [test.missing]\n",
            "knowledge/t.yaml:3: test.alpha.related: unknown entry id 'test.missing'",
        ),
        (
            "unknown category",
            GOOD.replace("category: 入党程序", "category: 其他"),
            "knowledge/t.yaml:3: test.alpha.category: unknown category '其他' (expected one of 入党程序, 组织设置, "
            "组织生活, 换届选举, 党费, 党员管理, 组织关系, 党员权利义务, 纪律处分, 党内关怀, 基层实践; "
            "categories live in knowledge/categories.yaml)",
        ),
        # citations of the sources registry (knowledge/sources.yaml)
        (
            "free-text source",
            GOOD.replace("{ref: party_constitution, article: 第五条}", "《中国共产党章程》第五条"),
            "knowledge/t.yaml:8: entries[0].source: a source names a registry id: {ref: branch_regulations, "
            "article: 第四条} (see knowledge/sources.yaml), not free text",
        ),
        (
            "unknown source id",
            GOOD.replace("ref: party_constitution", "ref: party_rules"),
            "knowledge/t.yaml:3: test.alpha.source: unknown source id 'party_rules' (add it to knowledge/sources.yaml)",
        ),
        (
            "national source without article",
            GOOD.replace(", article: 第五条", ""),
            "knowledge/t.yaml:3: test.alpha.source: cite the article of 'party_constitution', or say why not with "
            "no_article",
        ),
        (
            "superseded edition without a note",
            GOOD.replace("ref: party_constitution", "ref: admission_rules_2014"),
            "knowledge/t.yaml:3: test.alpha.source: 'admission_rules_2014' is a superseded edition: add a note saying "
            "which edition the answer rests on",
        ),
        (
            "local source presented as national",
            GOOD.replace("{ref: party_constitution, article: 第五条}", "{ref: local_hechuan}"),
            "knowledge/t.yaml:3: test.alpha.source: 'local_hechuan' is a local source (重庆市合川区): set local_practice: "
            "true, a local practice is never presented as national",
        ),
        (
            "citation with both article and reason",
            GOOD.replace("article: 第五条", "article: 第五条, no_article: 未核对"),
            "knowledge/t.yaml:8: entries[0].source: give either article or no_article, not both",
        ),
        (
            "too few questions",
            GOOD.replace("[入党要几个介绍人, 介绍人要几个, 需要几名入党介绍人]", "[入党要几个介绍人]"),
            "knowledge/t.yaml:6: entries[0].questions: needs at least 3 example questions, got 1",
        ),
        (
            "bad id",
            GOOD.replace("id: test.alpha", "id: Alpha"),
            "knowledge/t.yaml:3: entries[0].id: 'Alpha' is not a dotted lower-case id like admission.talk_within_month",
        ),
        ("missing version", GOOD.replace("version: 1\n", ""), "knowledge/t.yaml:1: version: required field missing"),
        (
            "entries not a list",
            "version: 1\nentries: 入党\n",
            "knowledge/t.yaml:2: entries: expected a list of entries, got text",
        ),
        (
            "top level a list",
            "- 入党\n",
            "knowledge/t.yaml:1: top level must be a mapping with version and entries, got a list",
        ),
        ("empty file", "", "knowledge/t.yaml:1: file is empty"),
        ("only a comment", "# nothing here\n", "knowledge/t.yaml:1: file is empty"),
        (
            "syntax error",
            "version: 1\nentries: [\n",
            "knowledge/t.yaml:3: YAML syntax error: while parsing a flow node expected the node content, but found '<stream end>'",
        ),
        (
            "invalid UTF-8",
            GOOD.encode("utf-8").replace("两名".encode(), b"\xff\xfe"),
            "knowledge/t.yaml:7: not valid UTF-8 (byte 0xff at offset 193); save the file as UTF-8",
        ),
        ("alias bomb", BOMB, "knowledge/t.yaml:1: document too large after expanding aliases (over 200,000 values)"),
        (
            "over 1 MB",
            "version: 1\n# " + "x" * 1_000_001 + "\n",
            "knowledge/t.yaml: file is 1,000,015 bytes, over the 1,000,000-byte limit",
        ),
    ],
)
def test_loader_error(tmp_path, name, text, expected):
    kb, problems = load(tmp_path, text)
    assert kb is None, name
    assert expected in problems, f"{name}: got {problems}"


def test_many_aliases_rejected(tmp_path):
    text = "a: &a x\nb: [" + ",".join(["*a"] * 101) + "]\n"
    kb, problems = load(tmp_path, text)
    assert kb is None
    assert problems == ["knowledge/t.yaml:2: YAML syntax error: more than 100 aliases"]


def test_every_error_is_reported_not_just_the_first(tmp_path):
    text = GOOD.replace("title: 测试条目", "title: no").replace("verified: true", "verified: 1")
    _, problems = load(tmp_path, text)
    assert len(problems) == 2


@pytest.mark.parametrize(
    "groups, expected",
    [
        (
            "[[积极分子, 入党积极分子], [入党积极分子, 积极份子]]",
            "knowledge/synonyms.yaml:2: groups[1][0]: term '入党积极分子' is already in groups[0]: a term may map to one meaning only",
        ),
        ("[[积极分子]]", "knowledge/synonyms.yaml:2: groups[0]: expected a list of at least two terms (text)"),
        ("[[积极分子, 积]]", "knowledge/synonyms.yaml:2: groups[0][1]: term '积' is too short (at least 2 characters)"),
    ],
)
def test_synonym_errors(tmp_path, groups, expected):
    load(tmp_path, GOOD)
    (tmp_path / "knowledge" / "synonyms.yaml").write_text(f"version: 1\ngroups: {groups}\n", encoding="utf-8")
    kb, problems = load_knowledge(tmp_path / "knowledge", tmp_path)
    assert kb is None
    assert expected in [str(p) for p in problems]
