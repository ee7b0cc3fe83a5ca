"""Issue 17, admin updates, through the Bot API stand-in the way Telegram delivers them: uploads that used
to get the generic apology now get located errors, publishing is compare-and-swap on the content version,
emptying synonyms.yaml is a change, and /rollback takes one version only."""

from __future__ import annotations

import pytest
import yaml

from fake_bot_api import FakeBotAPI
from tests.conftest import ROOT
from handlers.telegram.app import APOLOGY
from reliability_support import ADMIN, BotProcess, Chat, copy_content

ENTRY = """\
version: 1
entries:
  - id: {id}
    title: {title}
    category: 基层实践
    questions:
      - {q1}
      - {q2}
      - {q3}
    keywords: [{kw}]
    answer: {answer}
    source: {{ref: local_city_suburb}}
    verified: false
    local_practice: true
"""
ENTRY_A = ENTRY.format(
    id="practices.political_birthday",
    title="党员政治生日",
    q1="党员政治生日是哪一天",
    q2="怎么给党员过政治生日",
    q3="政治生日活动怎么搞",
    kw="政治生日",
    answer="党员的政治生日一般指入党宣誓（或接收为预备党员）的日子，支部可组织重温入党誓词等活动。",
)
ENTRY_B = ENTRY.format(
    id="practices.activity_room",
    title="党员活动室",
    q1="党员活动室怎么布置",
    q2="党员活动室要挂哪些制度",
    q3="建党员活动室有什么要求",
    kw="党员活动室",
    answer="党员活动室一般悬挂党旗、入党誓词和主要制度，配备学习资料，布置以简朴实用为原则。",
)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial-admin")
    root = copy_content(tmp / "content")
    with FakeBotAPI() as api:
        bot = BotProcess(api, tmp / "admin.db", tmp, ZHIBU_CONTENT_ROOT=str(root)).start()
        try:
            yield api, bot, root
        finally:
            bot.stop()


def plain(api, params) -> str:
    return api.result_of(params)["text"]


def upload(api, name: str, data: bytes, contains: str, timeout: float = 90) -> dict:
    since = api.mark()
    api.send_update_of(
        "document", chat_id=ADMIN, user_id=ADMIN, content=data, file_name=name, mime_type="application/x-yaml"
    )
    return Chat(api, ADMIN).expect(contains, since, timeout=timeout)


def dues(root) -> bytes:
    return (root / "knowledge" / "dues.yaml").read_bytes()


def line_of(data: bytes, marker: bytes) -> int:
    return data[: data.index(marker)].count(b"\n") + 1


BAD_UPLOADS = [
    (
        "nul",
        "dues.yaml",
        lambda d: d.replace(b"answer: ", b"answer: \x00", 1),
        lambda d: f"knowledge/dues.yaml:{line_of(d, b'answer: ')}: column 13: a NUL byte (U+0000)",
    ),
    (
        "vertical-tab",
        "dues.yaml",
        lambda d: d.replace("。".encode(), "。\x0b".encode(), 1),
        lambda d: f"knowledge/dues.yaml:{line_of(d, '。'.encode())}: ",
    ),
    (
        "deep-nesting",
        "dues.yaml",
        lambda d: b"version: 1\nentries: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        lambda d: "knowledge/dues.yaml:2: nested more than 50 levels deep",
    ),
]


@pytest.mark.parametrize("file_name, make, expected", [c[1:] for c in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_a_broken_upload_gets_a_located_error_and_nothing_changes(env, file_name, make, expected):
    api, bot, root = env
    before = dues(root)
    data = make(before)
    reply = upload(api, file_name, data, "校验未通过")
    text = plain(api, reply)
    assert APOLOGY not in text
    assert expected(before) in text, text
    assert dues(root) == before
    assert "入党介绍人" in Chat(api, 8_401).ask("入党要几个介绍人", "介绍人")["text"]
    assert bot.alive


def test_an_upper_case_file_name_is_the_file_it_names(env):
    api, bot, root = env
    reply = upload(api, "DUES.YAML", dues(root).replace("。".encode(), "。\x0b".encode(), 1), "校验未通过")
    assert "knowledge/dues.yaml:" in plain(api, reply) and "vertical tab" in plain(api, reply)
    assert not (root / "knowledge" / "DUES.YAML").exists()


def test_a_hidden_file_name_is_refused_with_a_reason(env):
    api, bot, root = env
    reply = upload(api, ".hidden.yaml", ENTRY_A.encode(), "隐藏文件", timeout=30)
    assert APOLOGY not in plain(api, reply)
    assert not list((root / "knowledge").glob(".hidden*"))


def test_reload_with_a_vertical_tab_on_disk_names_the_line(env):
    api, bot, root = env
    path = root / "knowledge" / "dues.yaml"
    good = path.read_bytes()
    path.write_bytes(good.replace("。".encode(), "。\x0b".encode(), 1))
    try:
        reply = Chat(api, ADMIN).ask("/reload", "重新加载失败", timeout=90)
        text = plain(api, reply)
        assert f"knowledge/dues.yaml:{line_of(good, '。'.encode())}: " in text and "vertical tab" in text
        assert APOLOGY not in text
    finally:
        path.write_bytes(good)


def test_emptying_synonyms_is_reported_as_a_change(env):
    api, bot, root = env
    reply = upload(api, "synonyms.yaml", b"version: 1\ngroups: []\n", "校验通过")
    text = plain(api, reply)
    assert "内容没有变化" not in text
    groups = yaml.safe_load((ROOT / "knowledge" / "synonyms.yaml").read_text(encoding="utf-8"))["groups"]
    assert f"同义词组删除 {len(groups)}" in text
    token = next(d for _, d in api.buttons(reply) if d and d.startswith("can:"))
    since = api.mark()
    api.click(reply, token, user_id=ADMIN)
    api.wait_for(lambda m, p: m == "editMessageText" and "已取消" in p.get("text", ""), since=since, timeout=20)


def test_publishing_an_upload_built_on_an_older_version_is_refused(env):
    """Upload A and B, publish B, then A: A was validated on the version before B, so publishing it would
    silently undo B. It is refused; B stays live and on disk."""
    api, bot, root = env
    a = upload(api, "local_a.yaml", ENTRY_A.encode(), "校验通过")
    b = upload(api, "local_b.yaml", ENTRY_B.encode(), "校验通过")
    since = api.mark()
    api.click(b, next(d for _, d in api.buttons(b) if d and d.startswith("pub:")), user_id=ADMIN)
    api.wait_for(lambda m, p: m == "editMessageText" and "已发布" in p.get("text", ""), since=since, timeout=60)
    since = api.mark()
    api.click(a, next(d for _, d in api.buttons(a) if d and d.startswith("pub:")), user_id=ADMIN)
    refused = api.wait_for(
        lambda m, p: m == "editMessageText" and "未发布" in p.get("text", ""), since=since, timeout=60
    )
    assert "重新上传" in refused["text"]
    assert (root / "knowledge" / "local_b.yaml").read_bytes() == ENTRY_B.encode()
    assert not (root / "knowledge" / "local_a.yaml").exists()
    assert "党员活动室" in Chat(api, 8_402).ask("党员活动室怎么布置", "党员活动室")["text"]


@pytest.mark.parametrize("command", ["/rollback 1 2", "/rollback 1 x"])
def test_rollback_takes_one_version_only(env, command):
    api, bot, root = env
    before = (root / "knowledge" / "dues.yaml").read_bytes()
    reply = Chat(api, ADMIN).ask(command, "用法", timeout=30)
    assert "/rollback" in plain(api, reply)
    assert (root / "knowledge" / "dues.yaml").read_bytes() == before
