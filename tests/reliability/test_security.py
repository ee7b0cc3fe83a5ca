"""Security: admin commands and uploads from non-admins, YAML bombs, oversized uploads, HTML injection, and
attempts to make the bot post into a chat that did not ask for it."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

import storage
from fake_bot_api import FakeBotAPI
from handlers.telegram.admin import REFUSED
from handlers.telegram.app import ADMINS_ONLY, NOT_TEXT_HINT
from handlers.telegram.reminders import REFUSAL
from reliability_support import ADMIN, BotProcess, Chat, copy_content, record, wait_until

GROUP_A = -1_004_000_000_001
GROUP_B = -1_004_000_000_002
ADMIN_A = 8_201  # group admin of A only
MEMBER_B = 8_202  # plain member of B
ADMIN_B = 8_203  # group admin of B


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("security")
    root = copy_content(tmp / "content")
    with FakeBotAPI() as api:
        api.chat_members[(GROUP_A, ADMIN_A)] = "administrator"
        api.chat_members[(GROUP_B, ADMIN_B)] = "administrator"
        bot = BotProcess(api, tmp / "security.db", tmp, ZHIBU_CONTENT_ROOT=str(root)).start()
        try:
            yield api, bot, root, tmp / "security.db"
        finally:
            bot.stop()


def audit_rows(db: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("select action, ok from admin_audit order by id").fetchall()
    finally:
        conn.close()


def failed_sends(api, since):
    return [c for c in api.call_log[since:] if c.method == "sendMessage" and not c.ok]


def plain(api, params) -> str:
    return api.result_of(params)["text"]


def test_non_admin_admin_commands_are_refused_and_audited(env):
    api, bot, root, db = env
    outsider = Chat(api, 8_301)
    for command in ("/reload", "/rollback", "/rollback 1", "/versions", "/kb"):
        assert REFUSED in outsider.ask(command, "管理员")["text"], command
    assert ADMINS_ONLY in outsider.ask("/stats", "管理员")["text"]
    group_member = Chat(api, GROUP_B, user_id=MEMBER_B, chat_type="supergroup")
    assert REFUSED in group_member.ask(f"/reload@{api.bot_username}", "管理员")["text"]

    # a .yaml upload from a non-admin is not even downloaded
    since = api.mark()
    update = api.send_update_of(
        "document",
        chat_id=outsider.id,
        user_id=outsider.user_id,
        content=b"version: 1\nentries: []\n",
        file_name="knowledge.yaml",
    )
    assert NOT_TEXT_HINT in outsider.expect("文字", since)["text"]
    file_id = update["message"]["document"]["file_id"]
    assert not [c for c in api.call_log[since:] if c.method == "getFile" and c.params.get("file_id") == file_id]
    assert not (root / "knowledge" / "knowledge.yaml").exists()

    # a hand-made 发布 (publish) button press from a non-admin
    since = api.mark()
    target = api.result_of(outsider.ask("/kb", "管理员"))
    api.push_update(
        {
            "callback_query": {
                "id": "9100000000000001",
                "from": {"id": outsider.user_id, "is_bot": False, "first_name": "外人"},
                "message": target,
                "chat_instance": "1",
                "data": "pub:0123456789ab",
            }
        }
    )
    assert REFUSED in outsider.expect("管理员", since)["text"]

    expected = {
        "refused:reload",
        "refused:rollback",
        "refused:versions",
        "refused:kb",
        "refused:publish",
        "refused:upload",
    }
    rows = wait_until(
        lambda: expected <= {a for a, ok in audit_rows(db) if ok == 0} and audit_rows(db),
        timeout=20,
        what="refusals in admin_audit",
    )
    refusals = [a for a, ok in rows if a.startswith("refused:")]
    assert all(ok == 0 for a, ok in rows if a.startswith("refused:"))
    record("security: refused admin actions audited", len(refusals))


ALIAS_DEEP = (
    "version: 1\nentries:\n  - id: a\n    x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"    x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))
)
ALIAS_WIDE = "version: 1\nx: &x lol\nentries: [" + ", ".join(["*x"] * 150) + "]\n"


@pytest.mark.parametrize(
    "name, bomb, located",
    [
        ("bomb.yaml", ALIAS_DEEP, "knowledge/bomb.yaml:4: document too large after expanding aliases"),
        ("wide.yaml", ALIAS_WIDE, "knowledge/wide.yaml:3: YAML syntax error: more than 100 aliases"),
    ],
)
def test_alias_bomb_upload_gets_a_located_error_and_the_old_kb_answers(env, name, bomb, located):
    api, bot, root, db = env
    admin = Chat(api, ADMIN)
    entries_before = admin.ask("/kb", "当前版本")["text"]
    since = api.mark()
    started = time.monotonic()
    api.send_update_of("document", chat_id=ADMIN, user_id=ADMIN, content=bomb.encode(), file_name=name)
    errors = admin.expect("校验未通过", since, timeout=60)
    record(f"security: {name} rejected in seconds", round(time.monotonic() - started, 2))
    assert located in plain(api, errors)
    assert not (root / "knowledge" / name).exists()
    assert "入党介绍人" in Chat(api, 8_302).ask("入党要几个介绍人", "介绍人")["text"]
    assert admin.ask("/kb", "当前版本")["text"].split("\n")[1] == entries_before.split("\n")[1]
    assert bot.alive


def test_5mb_upload_is_rejected_without_download(env):
    api, bot, root, db = env
    admin = Chat(api, ADMIN)
    since = api.mark()
    update = api.send_update_of(
        "document", chat_id=ADMIN, user_id=ADMIN, content=b"#" * (5 * 1024 * 1024), file_name="<b>big</b>.yaml"
    )
    reply = admin.expect("超过 1 MB", since, timeout=30)
    assert "<b>big</b>.yaml" in plain(api, reply)  # the file name is shown as text, not markup
    file_id = update["message"]["document"]["file_id"]
    assert not [c for c in api.call_log[since:] if c.method == "getFile"]
    assert not [path for path in api.downloads if file_id in path]
    assert ("upload", 0) in audit_rows(db)
    assert not failed_sends(api, since)


INJECTIONS = (
    "<b>入党</b>要几个介绍人",
    "</b>预备期多长<b>",
    "<script>alert(1)</script>党费怎么交",
    '<a href="tg://user?id=1">点我</a>入党年龄',
    "&lt;b&gt;支委会多久开一次",
    "<<>>&&; 今天天气怎么样",
    "<tg-spoiler>三必访</tg-spoiler>",
    "<pre><code>换届选举</code>",
    "<b",
)


def test_html_in_questions_and_arguments_is_escaped(env):
    """Every reply is sent with parse_mode HTML; the fake answers 400 to bad HTML as Telegram does, so a
    reply arriving proves the user's text was escaped."""
    api, bot, root, db = env
    since = api.mark()
    chat = Chat(api, 8_303)
    for i, text in enumerate(INJECTIONS):
        sent = chat.ask(text)
        assert sent.get("parse_mode") == "HTML"
        for tag in ("<script>", "<a ", "<tg-spoiler>", "<pre>", "<code>"):
            assert tag not in sent["text"]
        group = Chat(api, -1_004_100_000_000 - i, user_id=8_400 + i, chat_type="supergroup")
        group.ask(f"@{api.bot_username} {text}")
    group_admin = Chat(api, GROUP_A, user_id=ADMIN_A, chat_type="supergroup")
    echoed = group_admin.ask("/remind test <b>x</b>", "没有提醒")
    assert "“<b>x</b>”" in plain(api, echoed) and "&lt;b&gt;x&lt;/b&gt;" in echoed["text"]
    group_admin.ask("/term <i>2023-06-01</i> 村")
    group_admin.ask("/remind tz <b>Mars/Olympus</b>")
    admin = Chat(api, ADMIN)
    since_upload = api.mark()
    api.send_update_of(
        "document", chat_id=ADMIN, user_id=ADMIN, content=b"version: 1\nentries: [\n", file_name="<i>x</i>.yaml"
    )
    broken = admin.expect("校验未通过", since_upload, timeout=30)
    assert "<i>x</i>.yaml" in plain(api, broken)
    assert not failed_sends(api, since), [c.error for c in failed_sends(api, since)]
    record("security: HTML injection attempts, all answered and escaped", len(INJECTIONS) * 2 + 4)


def test_remind_test_only_ever_posts_to_its_own_chat(env):
    api, bot, root, db = env
    group_a = Chat(api, GROUP_A, user_id=ADMIN_A, chat_type="supergroup")
    for command in (
        "/remind test theme_day",
        f"/remind test theme_day {GROUP_B}",
        "/remind test theme_day @someone",
        f"/remind on theme_day {GROUP_B}",
        f"/remind test {GROUP_B}",
        f"/term 2023-06-01 {GROUP_B}",
    ):
        since = api.mark()
        group_a.ask(command)
        time.sleep(0.3)  # anything else the command might send would be in the log by now
        chats = {c.params.get("chat_id") for c in api.call_log[since:] if c.method.startswith("send")}
        assert chats == {GROUP_A}, (command, chats)
    conn = storage.open_db(str(db))
    try:
        assert storage.subscriptions(conn, GROUP_B) == []
    finally:
        conn.close()


def refused_privately(api, since) -> bool:
    toast = api.wait_for(
        lambda m, p: m == "answerCallbackQuery" and REFUSAL in (p.get("text") or ""), since=since, timeout=20
    )
    time.sleep(0.3)
    return toast.get("show_alert") in (True, "true") and not [
        c for c in api.call_log[since:] if c.method == "sendMessage"
    ]


def test_crafted_reminder_buttons_from_another_chat_are_refused(env):
    api, bot, root, db = env
    admin_b = Chat(api, GROUP_B, user_id=ADMIN_B, chat_type="supergroup")
    listing = admin_b.ask("/remind", "本群提醒")
    assert "rm:on:theme_day" in [d for _, d in api.buttons(listing)]

    # a plain member of B presses the real button: told privately (a toast), nothing posted into the group
    since = api.mark()
    api.click(listing, "rm:on:theme_day", user_id=MEMBER_B)
    assert refused_privately(api, since)

    # the admin of A (not of B) sends hand-made callback data for B's message
    message = api.result_of(listing)
    for i, data in enumerate(("rm:on:theme_day", f"rm:on:theme_day:{GROUP_A}", "rm:off:dues", f"rm:on:{GROUP_A}")):
        since = api.mark()
        api.push_update(
            {
                "callback_query": {
                    "id": f"92000000000000{i:02d}",
                    "chat_instance": "2",
                    "data": data,
                    "from": {"id": ADMIN_A, "is_bot": False, "first_name": "甲群管理员"},
                    "message": message,
                }
            }
        )
        assert refused_privately(api, since)
        assert not [c for c in api.call_log[since:] if c.method == "editMessageText"]

    # B's own admin with data that names chat A: it can only ever act on B
    since = api.mark()
    api.push_update(
        {
            "callback_query": {
                "id": "9300000000000001",
                "chat_instance": "3",
                "data": f"rm:on:theme_day:{GROUP_A}",
                "message": message,
                "from": {"id": ADMIN_B, "is_bot": False, "first_name": "乙群管理员"},
            }
        }
    )
    admin_b.expect("没有提醒", since)
    time.sleep(0.3)
    assert {c.params.get("chat_id") for c in api.call_log[since:] if "chat_id" in c.params} == {GROUP_B}
    conn = storage.open_db(str(db))
    try:
        assert storage.subscriptions(conn, GROUP_B) == []
        assert [s.reminder_id for s in storage.subscriptions(conn, GROUP_A)] in ([], ["term_end"])
    finally:
        conn.close()
    record("security: crafted or foreign reminder button presses refused", 5)


def test_a_refused_versions_reveals_nothing(env):
    """A refused /versions says nothing about the versions (no digests, no summaries)."""
    api, bot, root, db = env
    text = Chat(api, 8_304).ask("/versions", "管理员")["text"]
    assert not re.search(r"[0-9a-f]{12}", text) and "baseline" not in text
