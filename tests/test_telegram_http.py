"""handlers.telegram.http.AiohttpRequest keeps PTB's transport contract, driven through telegram.Bot against the
local Bot API stand-in: what reaches the server, how its errors map, and what happens below HTTP."""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from fake_bot_api import FakeBotAPI, UploadedFile
from handlers.telegram.app import TRANSPORT_ERRORS
from handlers.telegram.http import AiohttpRequest

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def fake():
    with FakeBotAPI() as server:
        yield server


def make_bot(fake, **request_options) -> Bot:
    return Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url,
               request=AiohttpRequest(**request_options), get_updates_request=AiohttpRequest(connection_pool_size=1))


async def test_send_message_fields_arrive_as_telegram_reads_them(fake):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("入党要几个介绍人？", callback_data="e:admission.sponsors")]])
    async with make_bot(fake) as bot:
        message = await bot.send_message(1001, "<b>预备期</b> & 42", parse_mode=ParseMode.HTML, reply_markup=markup)
    [params] = fake.sent("sendMessage")
    assert params["chat_id"] == 1001                                # an int again, as a form field would be
    assert params["text"] == "<b>预备期</b> & 42"                    # free text untouched
    assert params["reply_markup"] == markup.to_dict()               # a JSON string value means the object
    assert message.text == "预备期 & 42" and message.chat.id == 1001


async def test_text_that_looks_like_json_stays_text(fake):
    async with make_bot(fake) as bot:
        await bot.send_message(1001, "42")
        await bot.send_message(1001, '{"a": 1}')
    assert [p["text"] for p in fake.sent("sendMessage")] == ["42", '{"a": 1}']


async def test_files_go_as_multipart(fake):
    async with make_bot(fake) as bot:
        message = await bot.send_document(1001, document=b"a,b\n1,2\n", filename="统计.csv", caption="导出")
        downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    [params] = fake.sent("sendDocument")
    assert isinstance(params["document"], UploadedFile) and params["document"].filename == "统计.csv"
    assert params["caption"] == "导出" and bytes(downloaded) == b"a,b\n1,2\n"


@pytest.mark.parametrize("status, error", [(429, RetryAfter), (400, BadRequest), (403, Forbidden),
                                           (500, NetworkError), (502, NetworkError)])
async def test_telegram_errors_map_as_with_httpx(fake, status, error):
    async with make_bot(fake) as bot:
        fake.fail_next("sendMessage", status=status)
        with pytest.raises(error) as caught:
            await bot.send_message(1001, "hi")
        assert not str(caught.value).startswith(TRANSPORT_ERRORS)  # Telegram answered: not a transport failure
        await bot.send_message(1001, "again")                     # the pooled connection is still usable
    assert [p["text"] for p in fake.sent("sendMessage")] == ["again"]


async def test_dropped_connection_is_a_transport_error(fake):
    async with make_bot(fake) as bot:
        fake.fail_next("sendMessage", status=0)
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(1001, "hi")
    assert str(caught.value).startswith("aiohttp.") and str(caught.value).startswith(TRANSPORT_ERRORS)


async def test_slow_reply_times_out(fake):
    async with make_bot(fake, read_timeout=0.2) as bot:
        fake.delay("sendMessage", 1.0)
        with pytest.raises(TimedOut):
            await bot.send_message(1001, "hi")


async def test_refused_connection_is_a_transport_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
        assert str(caught.value).startswith(TRANSPORT_ERRORS)
    finally:
        await request.shutdown()


async def test_pool_bounds_connections_and_requests_queue(fake):
    async with make_bot(fake, connection_pool_size=2, pool_timeout=5.0) as bot:
        fake.delay("sendMessage", 0.2, count=None)
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(bot.send_message(1001, str(i)) for i in range(6)))
        elapsed = asyncio.get_running_loop().time() - started
    assert sorted(int(p["text"]) for p in fake.sent("sendMessage")) == list(range(6))
    assert elapsed >= 0.55  # six 0.2 s calls through two connections: three rounds, not one


async def test_uninitialized_or_shut_down_request_refuses():
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "GET")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "GET")


def test_pool_size_must_be_positive():
    with pytest.raises(ValueError):
        AiohttpRequest(connection_pool_size=0)


async def test_a_proxy_from_the_environment_is_used(monkeypatch):
    """Many deployments reach Telegram only through HTTPS_PROXY/HTTP_PROXY; httpx honoured them, so must we."""
    seen = []

    async def proxy(reader, writer):
        seen.append((await reader.readline()).decode("latin-1"))
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest(connect_timeout=2.0, read_timeout=2.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post("http://api.telegram.invalid/bot1:x/getMe")
    finally:
        await request.shutdown()
        server.close()
    assert seen and seen[0].startswith("POST http://api.telegram.invalid/bot1:x/getMe")


def test_tls_is_verified_against_certifi_like_httpx():
    from handlers.telegram.http import _tls_context
    context = _tls_context()
    assert context.verify_mode.name == "CERT_REQUIRED" and context.check_hostname
    assert len(context.get_ca_certs()) > 50  # certifi's bundle of root CAs is loaded


async def test_no_proxy_exempts_a_host(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert request._proxy_for("http://127.0.0.1:8081/bot1:x/getMe") is None
        assert request._proxy_for("http://api.telegram.invalid/bot1:x/getMe") == "http://127.0.0.1:9"
    finally:
        await request.shutdown()
