"""The local Bot API stand-in, driven by PTB's own `telegram.Bot` exactly as the real bot will drive it."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from fake_bot_api import FakeBotAPI, UploadedFile

# PTB 22 warns about int-vs-timedelta durations (RetryAfter, Voice.duration) from inside its own constructors.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def fake():
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(fake):
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("入党要几个介绍人？", callback_data="dym:admission.sponsors")],
            [
                InlineKeyboardButton("👍", callback_data="fb:up:42"),
                InlineKeyboardButton("👎", callback_data="fb:down:42"),
            ],
        ]
    )


async def test_urls_and_get_me(fake, bot):
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/bot"
    assert fake.base_file_url == f"http://127.0.0.1:{fake.port}/file/bot"
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (fake.bot_id, "zhibu_test_bot", True)
    assert bot.username == "zhibu_test_bot"
    assert [method for method, _ in fake.calls] == ["getMe", "getMe"]  # initialize() + get_me()
    assert all(call.t <= call.t_done for call in fake.call_log)


async def test_wrong_token_is_unauthorized(fake):
    with pytest.raises(InvalidToken):
        await Bot("999:wrong", base_url=fake.base_url).get_me()


async def test_unknown_method_is_404_json(fake):
    response = httpx.post(f"{fake.base_url}{fake.token}/sendCarrierPigeon", data={"chat_id": 1})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_send_message_with_keyboard_and_html(fake, bot):
    message = await bot.send_message(
        1001,
        "<b>入党</b>需要两名介绍人 &lt;正式党员&gt;\n\n来源：《发展党员工作细则》",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(),
    )
    assert message.message_id >= 1 and message.chat.id == 1001 and message.chat.type == ChatType.PRIVATE
    assert message.text.startswith("入党需要两名介绍人 <正式党员>")  # what the user sees: tags gone
    assert message.from_user.id == fake.bot_id
    assert message.reply_markup == keyboard()

    [params] = fake.sent(chat_id=1001)
    assert params["chat_id"] == 1001 and params["parse_mode"] == "HTML"
    assert params["text"].startswith("<b>入党</b>")
    assert params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "入党要几个介绍人？", "callback_data": "dym:admission.sponsors"}],
            [{"text": "👍", "callback_data": "fb:up:42"}, {"text": "👎", "callback_data": "fb:down:42"}],
        ]
    }
    assert fake.wait_sent(chat_id=1001, contains="<正式党员>") is params  # matches rendered text too
    assert fake.wait_sent(contains="<b>入党</b>") is params
    assert fake.result_of(params)["message_id"] == message.message_id
    assert fake.sent(chat_id=2002) == []

    second = await bot.send_message(1001, "第二条")
    assert second.message_id > message.message_id


async def test_telegram_validation_catches_bot_bugs(fake, bot):
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(1001, "得分 < 60 分", parse_mode=ParseMode.HTML)  # unescaped user text
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(1001, "<b>未闭合", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(1001, "<div>不支持</div>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1001, "党" * 4097)
    await bot.send_message(1001, "<b>" + "党" * 4096 + "</b>", parse_mode=ParseMode.HTML)  # limit is after parsing
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            1001,
            "按钮",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("太长", callback_data="入党积极分子培养考察" * 3)]]
            ),
        )
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(1001, "回复", reply_to_message_id=99999)
    failed = [call for call in fake.call_log if not call.ok]
    assert len(failed) == 6 and all(call.status == 400 for call in failed)
    assert len(fake.sent()) == 1 and len(fake.sent(include_failed=True)) == 7


async def test_get_updates_returns_pushed_updates_with_offsets(fake, bot):
    private = fake.send_text("入党要几个介绍人")
    mention = fake.send_text("@zhibu_test_bot 预备期多长？", chat_type="supergroup", user_id=2002, first_name="李委员")
    command = fake.send_text("/help@zhibu_test_bot", chat_type="group", chat_title="第一支部")
    start = fake.send_text("/start")
    sticker = fake.send_update_of("sticker")
    document = fake.send_update_of("document", content="问：什么是三会一课？".encode(), file_name="问答.txt")
    edited = fake.send_update_of("edited_message", message=private, text="入党需要几个介绍人")
    post = fake.send_update_of("channel_post", text="频道通知")
    photo = fake.send_update_of("photo", caption="材料照片")
    voice = fake.send_update_of("voice")
    added = fake.send_update_of("my_chat_member", chat_type="supergroup")

    updates = await bot.get_updates(timeout=1)
    assert all(isinstance(update, Update) for update in updates) and len(updates) == 11
    ids = [update.update_id for update in updates]
    assert ids == sorted(ids) and len(set(ids)) == 11

    u = updates[0]
    assert u.message.text == "入党要几个介绍人" and u.effective_chat.type == ChatType.PRIVATE
    assert u.effective_user.id == 1001 and u.effective_user.first_name == "张书记"
    assert u.message.message_id == private["message_id"] and u.message.entities == ()

    u = updates[1]
    assert u.effective_chat.type == ChatType.SUPERGROUP and u.effective_chat.id == FakeBotAPI.SUPERGROUP_CHAT_ID
    assert u.effective_chat.title == "测试支部群" and u.effective_user.id == 2002
    assert u.message.parse_entities([MessageEntity.MENTION]) == {u.message.entities[0]: "@zhibu_test_bot"}
    assert mention["entities"] == [{"offset": 0, "length": 15, "type": "mention"}]

    u = updates[2]
    assert u.effective_chat.type == ChatType.GROUP and u.effective_chat.title == "第一支部"
    assert u.message.entities[0].type == MessageEntity.BOT_COMMAND
    assert u.message.parse_entity(u.message.entities[0]) == "/help@zhibu_test_bot"
    assert command["entities"] == [{"offset": 0, "length": 20, "type": "bot_command"}]

    assert updates[3].message.text == "/start" and updates[3].message.entities[0].length == 6
    assert start["chat"]["id"] == 1001

    assert (
        updates[4].message.sticker.emoji == "👍"
        and updates[4].message.sticker.file_id == sticker["message"]["sticker"]["file_id"]
    )
    assert updates[5].message.document.file_name == "问答.txt"
    assert updates[5].message.document.file_size == len("问：什么是三会一课？".encode())
    assert document["update_id"] == updates[5].update_id
    assert updates[6].edited_message.text == "入党需要几个介绍人"
    assert updates[6].edited_message.message_id == private["message_id"] and updates[6].edited_message.edit_date
    assert edited["update_id"] == updates[6].update_id
    assert updates[7].channel_post.text == "频道通知" and updates[7].effective_chat.type == ChatType.CHANNEL
    assert post["channel_post"]["sender_chat"]["id"] == FakeBotAPI.CHANNEL_CHAT_ID
    assert updates[8].message.caption == "材料照片" and len(updates[8].message.photo) == 2
    assert photo["message"]["photo"][-1]["width"] == 1280
    assert updates[9].message.voice.duration == 3 and voice["message"]["voice"]["mime_type"] == "audio/ogg"
    assert updates[10].my_chat_member.new_chat_member.status == ChatMemberStatus.MEMBER
    assert added["my_chat_member"]["new_chat_member"]["user"]["id"] == fake.bot_id

    # without an offset nothing is confirmed; limit caps the batch; an offset confirms everything below it
    again = await bot.get_updates(timeout=0, limit=3)
    assert [update.update_id for update in again] == ids[:3]
    rest = await bot.get_updates(offset=ids[4], timeout=0)
    assert [update.update_id for update in rest] == ids[4:]
    assert fake.pending_updates() == 7
    assert await bot.get_updates(offset=ids[-1] + 1, timeout=0) == ()
    fake.wait_confirmed(timeout=0.1)
    assert fake.pending_updates() == 0
    assert set(fake.delivered_at) == set(ids) and all(fake.pushed_at[i] <= fake.delivered_at[i] for i in ids)


async def test_get_updates_long_polls(fake, bot):
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3

    async def push_later():
        await asyncio.sleep(0.3)
        fake.send_text("你好")

    started = time.monotonic()
    pushed = asyncio.create_task(push_later())
    updates = await bot.get_updates(timeout=10)
    await pushed
    assert [update.message.text for update in updates] == ["你好"]
    assert time.monotonic() - started < 2, "a held getUpdates must return as soon as an update arrives"


async def test_callback_click_answer_and_edits(fake, bot):
    question = fake.send_text("入党介绍人")
    sent = await bot.send_message(
        1001, "您是想问：", reply_markup=keyboard(), reply_to_message_id=question["message_id"]
    )
    assert sent.reply_to_message.text == "入党介绍人"
    params = fake.wait_sent(chat_id=1001, contains="您是想问")
    assert fake.buttons(params)[0] == ("入党要几个介绍人？", "dym:admission.sponsors")

    with pytest.raises(AssertionError, match="(?i)no inline button"):
        fake.click(params, "dym:nonexistent")
    click = fake.click(params, "👍")  # by the button's text
    updates = await bot.get_updates(timeout=1)
    query = updates[-1].callback_query
    assert query.data == "fb:up:42" and query.from_user.id == 1001
    assert query.message.message_id == sent.message_id and query.id == click["callback_query"]["id"]

    assert await query.answer("感谢反馈") is True
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer("again")  # answering twice is an error on Telegram too
    assert fake.answers[query.id]["text"] == "感谢反馈"

    edited = await bot.edit_message_text("已记录，谢谢！", chat_id=1001, message_id=sent.message_id)
    assert edited.text == "已记录，谢谢！" and edited.reply_markup is None  # no markup given: keyboard dropped
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("已记录，谢谢！", chat_id=1001, message_id=sent.message_id)
    with pytest.raises(AssertionError, match="(?i)no inline button"):
        fake.click(params, "fb:up:42")  # the click uses the message's *current* keyboard
    await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id, reply_markup=keyboard())
    fake.click(params, "fb:down:42", user_id=3003)
    [update] = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert update.callback_query.data == "fb:down:42" and update.callback_query.from_user.id == 3003
    assert update.callback_query.message.text == "已记录，谢谢！"
    with pytest.raises(BadRequest, match="(?i)can't be edited"):
        await bot.edit_message_text("改用户的消息", chat_id=1001, message_id=question["message_id"])

    assert await bot.delete_message(1001, sent.message_id) is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(1001, sent.message_id)

    group_msg = fake.send_text("@zhibu_test_bot 转正", chat_type="supergroup")
    reply = await bot.send_message(group_msg["chat"]["id"], "可以按期转正", reply_to_message_id=group_msg["message_id"])
    follow_up = fake.send_text("还要什么材料？", chat_type="supergroup", reply_to_bot_message_id=reply.message_id)
    assert follow_up["reply_to_message"]["from"]["id"] == fake.bot_id


async def test_wait_for_times_out_listing_recent_calls(fake, bot):
    await bot.send_message(1001, "一条消息")
    mark = fake.mark()
    with pytest.raises(AssertionError, match=r"(?s)no sendMessage to chat 1001 containing '别的'.*一条消息"):
        fake.wait_sent(chat_id=1001, contains="别的", timeout=0.2)
    with pytest.raises(AssertionError):
        fake.wait_sent(chat_id=1001, timeout=0.1, since=mark)

    async def later():
        await asyncio.sleep(0.2)
        await bot.send_chat_action(1001, "typing")

    task = asyncio.create_task(later())
    found = await asyncio.to_thread(fake.wait_for, lambda method, params: method == "sendChatAction", 5.0)
    await task
    assert found == {"chat_id": 1001, "action": "typing"}


async def test_waits_default_to_calls_after_the_latest_push(fake, bot):
    first = fake.send_text("第一问")
    await bot.send_message(1001, "第一答", reply_to_message_id=first["message_id"])
    assert fake.wait_sent(chat_id=1001, contains="第一答")["reply_parameters"]["message_id"] == first["message_id"]
    fake.send_text("第二问")
    with pytest.raises(AssertionError, match=r"from #2 on"):
        fake.wait_sent(chat_id=1001, timeout=0.2)  # the stale answer to the first question does not count
    assert fake.wait_sent(chat_id=1001, contains="第一答", since=0)["text"] == "第一答"
    await bot.send_message(1001, "第二答")
    assert fake.wait_sent(chat_id=1001)["text"] == "第二答"


async def test_fail_next_429_raises_retry_after(fake, bot):
    fake.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "限流")
    retry_after = caught.value.retry_after
    assert (retry_after if isinstance(retry_after, int) else retry_after.total_seconds()) == 3
    assert (await bot.send_message(1001, "重试成功")).text == "重试成功"  # count=1: only the next call fails
    failed = [call for call in fake.call_log if call.status == 429]
    assert len(failed) == 1 and failed[0].params["text"] == "限流"
    assert [p["text"] for p in fake.sent()] == ["重试成功"]
    with pytest.raises(AssertionError):
        fake.wait_sent(contains="限流", timeout=0.1)  # failed calls are not "sent"...
    assert fake.wait_for(lambda m, p: p.get("text") == "限流", 0.1, include_failed=True)  # ...unless asked for


async def test_fail_next_other_errors(fake, bot):
    fake.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match="(?i)Internal Server Error"):
        await bot.send_message(1001, "a")
    fake.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match="(?i)bot was kicked"):
        await bot.send_message(-1001, "b")
    fake.fail_next("sendMessage", status=400, migrate_to_chat_id=-1001234567890)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-1001, "c")
    assert migrated.value.new_chat_id == -1001234567890
    fake.fail_next("*", status=502, count=2)
    for _ in range(2):
        with pytest.raises(TelegramError):
            await bot.get_me()
    fake.fail_next("getMe", status=0)  # connection dropped without an answer
    with pytest.raises(NetworkError):
        await bot.get_me()
    assert (await bot.get_me()).username == "zhibu_test_bot"

    fake.fail_next("sendMessage", status=429, retry_after=1, count=None)
    for _ in range(3):
        with pytest.raises(RetryAfter):
            await bot.send_message(1001, "x")
    fake.clear_faults()
    await bot.send_message(1001, "恢复")


async def test_delay(fake, bot):
    fake.delay("sendMessage", 0.5)
    started = time.monotonic()
    await bot.send_message(1001, "慢")
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    await bot.send_message(1001, "快")
    assert time.monotonic() - started < 0.4
    slow, quick = fake.call_log[-2:]
    assert slow.t_done - slow.t >= 0.5 and quick.t_done - quick.t < 0.4


async def test_get_file_and_download(fake, bot):
    update = fake.send_update_of(
        "document", content=b"\x00binary\xffdata" * 100, file_name="a.bin", mime_type="application/octet-stream"
    )
    file_id = update["message"]["document"]["file_id"]
    tg_file = await bot.get_file(file_id)
    assert tg_file.file_size == len(b"\x00binary\xffdata") * 100
    assert tg_file.file_path.startswith(fake.base_file_url + fake.token + "/")
    assert bytes(await tg_file.download_as_bytearray()) == b"\x00binary\xffdata" * 100
    fake.files["manual-id"] = "手工登记".encode()
    buffer = io.BytesIO()
    await (await bot.get_file("manual-id")).download_to_memory(buffer)
    assert buffer.getvalue().decode() == "手工登记"
    assert len(fake.downloads) == 2
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("no-such-file")


async def test_multipart_upload_is_parsed(fake, bot):
    message = await bot.send_document(
        1001, document=b"col1,col2\n1,2\n", filename="统计.csv", caption="<i>导出</i>", parse_mode=ParseMode.HTML
    )
    [params] = fake.sent("sendDocument")
    upload = params["document"]
    assert isinstance(upload, UploadedFile) and upload.data == b"col1,col2\n1,2\n" and upload.filename == "统计.csv"
    assert params["chat_id"] == 1001 and params["caption"] == "<i>导出</i>"
    assert message.caption == "导出" and message.document.file_name == "统计.csv"
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"col1,col2\n1,2\n"


async def test_plain_json_body_and_get_query(fake):
    body = {"chat_id": 1001, "text": "42", "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "y"}]]}}
    response = httpx.post(f"{fake.base_url}{fake.token}/sendMessage", json=body)
    assert response.status_code == 200 and response.json()["result"]["text"] == "42"
    response = httpx.get(f"{fake.base_url}{fake.token}/sendMessage", params={"chat_id": "1001", "text": "7"})
    assert response.json()["ok"] is True
    assert [p["text"] for p in fake.sent()] == ["42", "7"]  # free text is never JSON-decoded
    assert fake.sent()[1]["chat_id"] == 1001


async def test_chat_members(fake, bot):
    group = FakeBotAPI.SUPERGROUP_CHAT_ID
    fake.send_text("大家好", chat_type="supergroup", user_id=2002, first_name="李委员")
    fake.chat_members[(group, 1001)] = "creator"
    fake.chat_members[(group, 2002)] = "administrator"
    assert (await bot.get_chat_member(group, 1001)).status == ChatMemberStatus.OWNER
    admin = await bot.get_chat_member(group, 2002)
    assert admin.status == ChatMemberStatus.ADMINISTRATOR and admin.user.first_name == "李委员"
    assert (await bot.get_chat_member(group, 3003)).status == ChatMemberStatus.MEMBER
    fake.chat_members[(group, 4004)] = "kicked"
    assert (await bot.get_chat_member(group, 4004)).status == ChatMemberStatus.BANNED
    admins = await bot.get_chat_administrators(group)
    assert sorted(member.user.id for member in admins) == [1001, 2002]
    with pytest.raises(BadRequest):
        await bot.get_chat_administrators(1001)


async def test_commands_webhook_and_misc(fake, bot):
    commands = [("start", "开始使用"), ("help", "帮助"), ("check", "情况检查")]
    assert await bot.set_my_commands(commands) is True
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == commands
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])

    assert await bot.set_webhook("https://example.invalid/hook") is True
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    fake.send_text("旧消息")
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.get_updates(timeout=0) == ()
    assert await bot.send_chat_action(1001, "typing") is True
    assert await bot.log_out() is True and await bot.close() is True


async def test_concurrent_get_updates_conflict(fake):
    """A second poller (another bot instance) makes the held getUpdates fail with 409, as on Telegram.
    PTB serialises its own getUpdates on one connection, so two raw clients stand in for two instances."""
    url = f"{fake.base_url}{fake.token}/getUpdates"
    async with httpx.AsyncClient() as first, httpx.AsyncClient() as second:
        held = asyncio.create_task(first.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.3)
        response = await second.post(url, data={"timeout": "0"})
        assert response.json() == {"ok": True, "result": []}
        conflict = await held
    assert conflict.status_code == 409 and "terminated by other getUpdates" in conflict.json()["description"]


async def test_stop_releases_held_long_poll():
    fake = FakeBotAPI().start()
    async with Bot(fake.token, base_url=fake.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=30))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.to_thread(fake.stop)
        try:
            await poll
        except TelegramError:
            pass
        assert time.monotonic() - started < 3


_CLIENT = r"""
import json, socket, sys, threading, time
port, token, seconds, connections = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
from urllib.parse import urlencode
body = urlencode({"chat_id": "1001", "text": "<b>入党</b>需要两名正式党员作介绍人。\n来源：《细则》", "parse_mode": "HTML",
                  "reply_markup": json.dumps({"inline_keyboard": [[{"text": "👍", "callback_data": "fb:up:1"},
                                                                   {"text": "👎", "callback_data": "fb:down:1"}]]})}).encode()
request = (f"POST /bot{token}/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
           f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
counts = [0] * connections
deadline = time.perf_counter() + seconds
def run(i):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    while time.perf_counter() < deadline:
        sock.sendall(request)
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(buffer) < length:
            buffer += sock.recv(65536)
        buffer = buffer[length:]
        counts[i] += 1
    sock.close()
threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
started = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"requests": sum(counts), "seconds": time.perf_counter() - started}))
"""


async def test_throughput_report(fake):
    """Printed, not asserted: raw keep-alive clients in another process, then PTB's Bot in this one."""
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _CLIENT, str(fake.port), fake.token, "1.0", "4"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    raw = json.loads(result.stdout)
    raw_rate = raw["requests"] / raw["seconds"]
    assert len(fake.sent()) == raw["requests"]

    request = HTTPXRequest(connection_pool_size=8)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as client:
        count, started = 300, time.perf_counter()
        semaphore = asyncio.Semaphore(8)

        async def send(i):
            async with semaphore:
                await client.send_message(1001, f"<b>第{i}条</b>", parse_mode=ParseMode.HTML)

        await asyncio.gather(*(send(i) for i in range(count)))
        ptb_rate = count / (time.perf_counter() - started)
    print(
        f"\nFakeBotAPI sendMessage throughput: raw HTTP/1.1 keep-alive clients (4 connections, other process): "
        f"{raw_rate:,.0f}/s; PTB Bot in-process (8 concurrent): {ptb_rate:,.0f}/s"
    )
