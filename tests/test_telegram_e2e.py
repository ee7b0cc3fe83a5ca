"""End to end: the real `bot.py run` process talking to a local stand-in for the Bot API on 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_bot_api import FakeBotAPI  # noqa: E402
from handlers.telegram.admin import REFUSED as REFUSED_TEXT  # noqa: E402
from handlers.telegram.app import APOLOGY  # noqa: E402
from knowledge.load import load_knowledge  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ADMIN = 4242
_chats = itertools.count(5001)


def start_bot(api: FakeBotAPI, db: Path, **env) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIBU_", "TELEGRAM_"))}
    full.update(
        TELEGRAM_BOT_TOKEN=api.token,
        ZHIBU_API_BASE_URL=api.base_url,
        ZHIBU_API_BASE_FILE_URL=api.base_file_url,
        ZHIBU_DB=str(db),
        ZHIBU_ADMIN_IDS=str(ADMIN),
        **env,
    )
    since = len(api.call_log)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        env=full,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    api.wait_for(lambda method, _: method == "setMyCommands", timeout=30, since=since)
    return proc


def stop_bot(proc: subprocess.Popen) -> bytes:
    """SIGTERM, wait for a graceful exit (kill after 15 s); return what the bot wrote to stderr."""
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


@pytest.fixture(scope="module")
def api():
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e") / "zhibu.db"


@pytest.fixture(scope="module")
def bot(api, db):
    proc = start_bot(api, db)
    yield proc
    stop_bot(proc)


class Chat:
    """One private chat (or group) with its own id, so tests never share pending state."""

    def __init__(self, api, chat_type="private", user_id=None):
        self.api = api
        self.id = next(_chats) * (-1 if chat_type != "private" else 1)
        self.user_id = user_id or abs(self.id)
        self.type = chat_type

    def say(self, text, **kw) -> dict:
        return self.api.send_text(text, chat_id=self.id, user_id=self.user_id, chat_type=self.type, **kw)

    def expect(self, contains=None, since=0, timeout=15) -> dict:
        return self.api.wait_sent(chat_id=self.id, contains=contains, since=since, timeout=timeout)

    def ask(self, text, contains=None, timeout=15, **kw) -> dict:
        since = len(self.api.call_log)
        self.say(text, **kw)
        return self.expect(contains, since, timeout)


def buttons(params: dict) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]


def test_commands_are_registered_in_chinese(api, bot):
    commands = api.sent("setMyCommands")[-1]["commands"]
    names = {c["command"]: c["description"] for c in commands}
    assert {"start", "help", "topics", "steps", "check", "cancel", "stats"} <= set(names)
    assert names["check"] == "检查具体情况"


@pytest.mark.parametrize(
    "question, expected",
    [
        ("预备期从哪天开始算", "支部大会通过"),
        ("預備期從哪天算", "支部大會通過"),  # traditional in, traditional out
    ],
)
def test_private_question_in_both_scripts(api, bot, question, expected):
    sent = Chat(api).ask(question, expected)
    assert sent["parse_mode"] == "HTML"
    assert "來源" in sent["text"] or "来源" in sent["text"]


def test_html_in_questions_is_echoed_safely(api, bot):
    sent = Chat(api).ask("我们单位有<b>2</b>名正式党员，能成立支部吗", "正式党员")
    assert "<b>2</b>" not in sent["text"]


def test_did_you_mean_click_and_feedback_click(api, bot, db):
    chat = Chat(api)
    declined = chat.ask("支部", None)
    assert any(d.startswith("e:") for d in buttons(declined)) or "来源" in declined["text"]
    answer = chat.ask("入党要几个介绍人", "入党介绍人")
    entry_button = next(d for d in buttons(answer) if d.startswith("e:"))
    since = len(api.call_log)
    api.click(answer, entry_button, user_id=chat.user_id)
    chat.expect("来源", since)
    feedback = next(d for d in buttons(answer) if d.startswith("fb:+:"))
    since = len(api.call_log)
    api.click(answer, feedback, user_id=chat.user_id)
    assert "谢谢" in api.wait_for(lambda m, p: m == "answerCallbackQuery" and p.get("text"), since=since)["text"]
    query_id = feedback.split(":")[2]
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = sqlite3.connect(db).execute("select value from feedback where query_id = ?", (query_id,)).fetchall()
        if rows:
            break
        time.sleep(0.2)
    assert rows == [(1,)]


def test_check_form_through_to_a_verdict(api, bot):
    chat = Chat(api)
    menu = chat.ask("/check", "请选择要检查的事项")
    since = len(api.call_log)
    api.click(menu, "ck:branch_formation", user_id=chat.user_id)
    chat.expect("开始检查", since)
    verdict = chat.ask("2", "不能单独成立党支部")
    assert "再有1名正式党员" in verdict["text"]


def test_chinese_keywords_open_features(api, bot):
    chat = Chat(api)
    assert "入党流程 第1/5阶段" in chat.ask("流程", "入党流程")["text"]
    steps = chat.ask("/steps", "第1/5阶段")
    since = len(api.call_log)
    api.click(steps, "st:1", user_id=chat.user_id)
    edited = api.wait_for(lambda m, p: m == "editMessageText" and "第2/5阶段" in p.get("text", ""), since=since)
    assert "st:0" in buttons(edited) and "st:2" in buttons(edited)
    assert "请选择要检查的事项" in chat.ask("检查", "请选择")["text"]
    assert "我是支部助手" in chat.ask("帮助", "支部助手")["text"]


def test_topics_browse_categories_then_entries(api, bot):
    chat = Chat(api)
    menu = chat.ask("/topics", "请选择类别")
    since = len(api.call_log)
    api.click(menu, "c:0:0", user_id=chat.user_id)
    page = api.wait_for(lambda m, p: m == "editMessageText" and "入党程序" in p.get("text", ""), since=since)
    assert sum(d.startswith("e:admission.") for d in buttons(page)) == 8 and "c:0:1" in buttons(page)


def test_start_offers_three_example_buttons(api, bot):
    chat = Chat(api)
    start = chat.ask("/start", "支部助手")
    examples = [d for d in buttons(start) if d.startswith("q:")]
    assert len(examples) == 3
    since = len(api.call_log)
    api.click(start, examples[1], user_id=chat.user_id)
    assert "不能单独成立党支部" in chat.expect("我理解为", since)["text"]


def test_group_mention_answered_as_a_reply_and_chatter_ignored(api, bot):
    group = Chat(api, "supergroup", user_id=777)
    since = len(api.call_log)
    group.say("大家好，今天下午开支委会")
    question = group.say("@zhibu_test_bot 入党要几个介绍人")
    answer = group.expect("入党介绍人", since)
    assert answer["reply_parameters"]["message_id"] == question["message_id"]
    assert len(api.sent(chat_id=group.id)) == 1  # the chatter got nothing
    since = len(api.call_log)
    reply_to_bot = group.say("预备期多长", reply_to_bot_message_id=api.result_of(answer)["message_id"])
    follow_up = group.expect("1年", since)
    assert follow_up["reply_parameters"]["message_id"] == reply_to_bot["message_id"]


def test_stats_is_for_admins_only(api, bot):
    assert "只对管理员开放" in Chat(api).ask("/stats", "管理员")["text"]
    assert "查询统计" in Chat(api, user_id=ADMIN).ask("/stats", "查询统计")["text"]


def test_sticker_gets_a_hint_then_a_question_is_still_answered(api, bot):
    chat = Chat(api)
    since = len(api.call_log)
    api.send_update_of("sticker", chat_id=chat.id, user_id=chat.user_id)
    chat.expect("只能看懂文字", since)
    for kind in ("photo", "voice", "document"):
        api.send_update_of(kind, chat_id=chat.id, user_id=chat.user_id)
    chat.ask("党费怎么交", "党费")


def test_edited_messages_and_channel_posts_are_ignored_without_crashing(api, bot):
    chat = Chat(api)
    original = chat.ask("入党年龄", "18")
    since = len(api.call_log)
    api.send_update_of("edited_message", message=chat.api.result_of(original) or original, text="改了")
    api.send_update_of("channel_post", chat_id=-1009999, text="频道消息")
    chat.ask("预备期多长", "1年")
    assert not [c for c in api.call_log[since:] if c.params.get("chat_id") == -1009999]


def test_a_429_is_retried_and_the_answer_delivered(api, bot):
    chat = Chat(api)
    api.fail_next("sendMessage", status=429, retry_after=1)
    sent = chat.ask("入党要几个介绍人", "入党介绍人", timeout=20)
    assert sent["chat_id"] == chat.id
    assert any(c.status == 429 for c in api.call_log if c.method == "sendMessage")


def test_flood_control_outlasting_the_rate_limiter_still_delivers_the_answer(api, bot):
    """Five 429s in a row: the rate limiter retries three times, then the send itself waits out the rest;
    the asker gets the answer and no apology (an apology would meet the same flood control)."""
    chat = Chat(api)
    since = len(api.call_log)
    api.fail_next("sendMessage", status=429, retry_after=1, count=5)
    sent = chat.ask("入党要几个介绍人", "入党介绍人", timeout=30)
    assert sent["chat_id"] == chat.id
    mine = [c for c in api.call_log[since:] if c.method == "sendMessage" and c.params.get("chat_id") == chat.id]
    assert sum(c.status == 429 for c in mine) == 5
    assert not [c for c in mine if c.ok and c.params.get("text") == APOLOGY]


def test_malformed_token_exits_2_with_one_line():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": "nonsense"},
    )
    assert result.returncode == 2
    assert result.stderr.decode().strip().count("\n") == 0 and "malformed" in result.stderr.decode()


def test_graceful_shutdown_flushes_the_query_log(tmp_path):
    db = tmp_path / "flush.db"
    with FakeBotAPI() as own_api:  # its own server: the module's bot must not take these updates
        proc = start_bot(own_api, db)
        chats = [Chat(own_api), Chat(own_api)]
        for text in ("入党年龄", "预备期多长", "今天天气怎么样"):
            for chat in chats:
                chat.ask(text)
        stderr = stop_bot(proc)
    assert proc.returncode == 0
    count = (
        sqlite3.connect(db)
        .execute("select count(*) from queries where chat_id is null and channel='telegram'")
        .fetchone()[0]
    )
    assert count == 6
    assert b"nonsense" not in stderr


UPDATES = Path(__file__).resolve().parent / "data" / "updates"
RECORDED = [
    # (recorded update file, chat it concerns, text the reply must contain or None for silence)
    ("private_text_traditional.json", 9001, "黨費"),
    ("private_command_help.json", 9002, "我是支部助手"),
    ("group_mention.json", -9003, "每月"),
    ("group_chatter.json", -9004, None),
    ("private_sticker.json", 9005, "只能看懂文字"),
    ("private_voice.json", 9006, "只能看懂文字"),
    ("channel_post.json", -1009007, None),
]


@pytest.mark.parametrize("name, chat_id, expected", RECORDED, ids=[r[0] for r in RECORDED])
def test_recorded_update_fixtures(api, bot, name, chat_id, expected):
    import json

    since = len(api.call_log)
    api.push_update(json.loads((UPDATES / name).read_text(encoding="utf-8")))
    if expected is None:
        marker = Chat(api)  # a later question proves the update was processed and got no reply
        marker.ask("入党年龄", "18")
        assert not [c for c in api.call_log[since:] if c.method == "sendMessage" and c.params.get("chat_id") == chat_id]
    else:
        assert expected in api.wait_sent(chat_id=chat_id, contains=expected, since=since)["text"]


def test_group_reminders_admin_only_test_send_and_survive_a_restart(tmp_path):
    db = tmp_path / "remind.db"
    with FakeBotAPI() as own_api:
        proc = start_bot(own_api, db)
        group = Chat(own_api, "supergroup", user_id=8101)
        own_api.chat_members[(group.id, 8101)] = "administrator"
        outsider = Chat(own_api, "supergroup", user_id=8102)
        outsider.id = group.id
        assert "只有本群管理员" in outsider.ask("/remind on theme_day", "管理员")["text"]
        assert "已订阅“主题党日”" in group.ask("/remind on theme_day", "已订阅")["text"]
        assert "【测试】【主题党日提醒】" in group.ask("/remind test theme_day", "测试")["text"]
        assert "每届5年" in group.ask("/term 2023-06-01 村", "任期")["text"]
        listing = group.ask("/remind", "本群提醒")
        assert "✅ theme_day 主题党日：已订阅" in listing["text"]
        assert "rm:on:dues" in buttons(listing)
        since = len(own_api.call_log)
        own_api.click(listing, "rm:on:dues", user_id=8101)
        edited = own_api.wait_for(lambda m, p: m == "editMessageText" and "✅ dues" in p.get("text", ""), since=since)
        assert "rm:off:dues" in buttons(edited)
        stop_bot(proc)
        proc = start_bot(own_api, db)  # a restart: subscriptions come back from SQLite
        relisted = group.ask("/remind list", "本群提醒")["text"]
        stop_bot(proc)
    assert "✅ theme_day" in relisted and "✅ dues" in relisted and "✅ term_end" in relisted


NEW_ENTRY = """version: 1
entries:
  - id: local.flag_raising
    title: 升旗仪式安排
    category: 基层实践
    questions: [支部升旗仪式怎么安排, 升旗仪式谁来组织, 升旗仪式多久一次]
    answer: 由支部书记组织，每月第一个工作日举行（示例条目）。
    source: {ref: local_city_suburb}
    verified: false
    local_practice: true
""".encode("utf-8")


def copy_content(root: Path) -> Path:
    import shutil

    for folder in ("knowledge", "rules"):
        (root / folder).mkdir(parents=True)
        for path in (ROOT / folder).glob("*.yaml"):
            shutil.copy(path, root / folder / path.name)
    return root


def test_admin_upload_publish_broken_upload_refusals_and_rollback(tmp_path):
    root = copy_content(tmp_path / "content")
    with FakeBotAPI() as own_api:
        proc = start_bot(own_api, tmp_path / "admin.db", ZHIBU_CONTENT_ROOT=str(root))
        try:
            admin = Chat(own_api, user_id=ADMIN)
            admin.id = ADMIN
            outsider = Chat(own_api)
            other = Chat(own_api)  # the next id: with two processes, the other one answers this user
            # non-admins are refused, and the refusal is audited
            assert "只对管理员开放" in outsider.ask("/reload", "管理员")["text"]
            since = len(own_api.call_log)
            own_api.send_update_of(
                "document", chat_id=outsider.id, user_id=outsider.user_id, content=NEW_ENTRY, file_name="local.yaml"
            )
            assert "只能看懂文字" in outsider.expect("文字", since)["text"]
            # a good upload: validated, replayed, published, served
            since = len(own_api.call_log)
            own_api.send_update_of("document", chat_id=ADMIN, user_id=ADMIN, content=NEW_ENTRY, file_name="local.yaml")
            offer = admin.expect("校验通过", since, timeout=30)
            assert "条目新增 1：local.flag_raising" in offer["text"] and "pub:" in buttons(offer)[0]
            since = len(own_api.call_log)
            own_api.click(offer, buttons(offer)[0], user_id=ADMIN)
            own_api.wait_for(
                lambda m, p: m == "editMessageText" and "已发布" in p.get("text", ""), since=since, timeout=30
            )
            assert (root / "knowledge" / "local.yaml").read_bytes() == NEW_ENTRY
            assert "升旗仪式安排" in outsider.ask("支部升旗仪式怎么安排", "升旗")["text"]
            assert "升旗仪式安排" in other.ask("升旗仪式多久一次", "升旗")["text"]
            # a broken upload: located errors, nothing published, old answers keep coming
            broken = NEW_ENTRY.replace(b"    answer:", b"    answr:")
            since = len(own_api.call_log)
            own_api.send_update_of("document", chat_id=ADMIN, user_id=ADMIN, content=broken, file_name="local.yaml")
            errors = admin.expect("校验未通过", since, timeout=30)["text"]
            assert "knowledge/local.yaml:7: entries[0].answr: unknown field" in errors
            assert "entries[0].answer: required field missing" in errors
            assert (root / "knowledge" / "local.yaml").read_bytes() == NEW_ENTRY
            assert "入党介绍人" in outsider.ask("入党要几个介绍人", "介绍人")["text"]
            # /kb, /versions, then /rollback removes the published entry
            shipped = len(load_knowledge(ROOT / "knowledge", ROOT)[0].entries)
            assert f"条目 {shipped + 1} 个" in admin.ask("/kb", "当前版本")["text"]  # the shipped ones and local.yaml's
            # /kb file NAME: the current YAML as a document, byte for byte, to edit and upload back
            assert "/kb file rules/dues.yaml" in admin.ask("/kb file dues.yaml", "同名文件")["text"]
            admin.say("/kb file rules/dues.yaml")
            sent = own_api.wait_for(
                lambda m, p: m == "sendDocument" and p.get("chat_id") in (ADMIN, str(ADMIN)), timeout=30
            )
            document = sent["document"]
            assert document.filename == "dues.yaml"
            assert document.data == (root / "rules" / "dues.yaml").read_bytes()
            assert "rules/dues.yaml" in admin.ask("/kb file nosuch.yaml", "没有找到文件")["text"]
            assert REFUSED_TEXT in outsider.ask("/kb file dues.yaml", REFUSED_TEXT)["text"]
            assert "publish" in admin.ask("/versions", "版本")["text"]
            assert "条目删除 1：local.flag_raising" in admin.ask("/rollback", "已回滚", timeout=30)["text"]
            assert not (root / "knowledge" / "local.yaml").exists()
            assert "升旗仪式安排" not in outsider.ask("支部升旗仪式怎么安排")["text"]
            assert "升旗仪式安排" not in other.ask("支部升旗仪式怎么安排")["text"]
            # /reload with a broken file on disk: errors listed, old version stays live
            (root / "knowledge" / "dues.yaml").write_text("version: 1\nentries: [\n", encoding="utf-8")
            failed = admin.ask("/reload", "重新加载失败", timeout=30)["text"]
            assert "knowledge/dues.yaml:3: YAML syntax error" in failed
            assert "党费" in outsider.ask("党费按什么基数算", "党费")["text"]
            assert "党费" in other.ask("党费按什么基数算", "党费")["text"]
        finally:
            stop_bot(proc)
    audit = sqlite3.connect(tmp_path / "admin.db").execute("select action, ok from admin_audit order by id").fetchall()
    assert ("refused:reload", 0) in audit and ("publish", 1) in audit and ("rollback", 1) in audit
    assert ("upload", 0) in audit and ("reload", 0) in audit


def test_replying_a_number_opens_the_suggested_entry(api, bot):
    chat = Chat(api)
    declined = chat.ask("支部", None)
    offered = [d[2:] for d in buttons(declined) if d.startswith("e:")]
    assert offered, declined["text"]
    first = chat.ask("1", "来源")
    assert "【" in first["text"]


def test_server_errors_on_send_are_retried_and_the_answer_delivered(api, bot):
    chat = Chat(api)
    api.fail_next("sendMessage", status=500, count=2)
    sent = chat.ask("预备期多长", "1年", timeout=20)
    assert sent["chat_id"] == chat.id
