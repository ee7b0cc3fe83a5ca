"""A local stand-in for the Telegram Bot API, for end-to-end tests and benchmarks (standard library only).

The real bot process is pointed at it through the environment::

    with FakeBotAPI() as fake:
        env = {"TELEGRAM_BOT_TOKEN": fake.token,
               "ZHIBU_API_BASE_URL": fake.base_url,            # http://127.0.0.1:PORT/bot
               "ZHIBU_API_BASE_FILE_URL": fake.base_file_url}  # http://127.0.0.1:PORT/file/bot
        ...start `python bot.py run` with env...
        question = fake.send_text("入党要几个介绍人")
        reply = fake.wait_sent(chat_id=1001, contains="介绍人")
        fake.click(reply, "fb:up")                             # callback_data, or the button's text
        fake.wait_for(lambda method, params: method == "answerCallbackQuery")

How it talks HTTP
    PTB calls ``{base_url}{token}/{method}`` with POST. Parameters arrive form-urlencoded (strings as they
    are, everything else JSON-encoded: ints, bools, reply_markup...), or as multipart/form-data when files
    are uploaded; a plain JSON body and GET query strings are accepted too. Values are decoded back to
    Python objects (``chat_id`` -> int, ``reply_markup`` -> dict) except for the free-text fields in
    ``STRING_FIELDS``, which stay strings; uploaded files become ``UploadedFile``. Files are downloaded from
    ``{base_file_url}{token}/{file_path}``. Responses are ``{"ok": true, "result": ...}`` or
    ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with a matching HTTP
    status, exactly what PTB's error mapping expects (429 + retry_after -> RetryAfter, 403 -> Forbidden,
    400 -> BadRequest, 400 + migrate_to_chat_id -> ChatMigrated, 5xx -> NetworkError).

Realism that catches bot bugs
    - HTML parse_mode is validated like Telegram does (unsupported or unbalanced tags, a stray "<" ->
      400 "can't parse entities"), and the returned Message carries the plain text, as Telegram's does.
    - Text over 4,096 characters (after entity parsing) or empty -> 400; callback_data over 64 bytes -> 400
      BUTTON_DATA_INVALID; editing to identical content -> 400 "message is not modified"; editing a user's
      message, deleting or replying to an unknown message -> 400; answering an unknown or already answered
      callback query -> 400; getUpdates while a webhook is set, or a second concurrent getUpdates -> 409.
    - editMessageText without reply_markup drops the inline keyboard, as Telegram does.

Inspecting what the bot did
    ``calls`` is every completed API call as ``(method, params)``, ``call_log`` the same with timestamps
    (``time.monotonic()`` at receipt and at completion), HTTP status and result. ``sent()``, ``wait_for()``
    and ``wait_sent()`` look at successful calls only unless ``include_failed=True``. ``wait_*`` scan from
    call index ``since``, by default the call count at the latest push (send_text, click...), so a wait
    after an action only sees what the bot did after it; ``since=0`` searches all calls, and ``mark()``
    gives an index to wait from when several actions precede one wait.
    ``pushed_at`` / ``delivered_at`` map update_id to monotonic push and getUpdates-delivery times, so a
    benchmark can measure update -> sendMessage latency.
"""

from __future__ import annotations

import binascii
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote, unquote_plus

__all__ = ["FakeBotAPI", "UploadedFile", "Call", "ApiError"]

# Request parameters that are free text (or file ids) and must never be JSON-decoded: "42" stays "42".
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "secret_token",
        "language_code",
        "description",
        "short_description",
        "name",
        "query",
        "title",
        "emoji",
        "action",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "question",
        "document",
        "photo",
        "sticker",
        "voice",
        "audio",
        "video",
        "animation",
        "video_note",
        "thumbnail",
        "certificate",
        "custom_title",
        "address",
        "first_name",
        "last_name",
        "phone_number",
    }
)
_JSON_START = frozenset("{[-0123456789tfn")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024

_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_ENTITY_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_COMMAND_RE = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_/@])@[A-Za-z0-9_]{4,32}")
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

_OK_PREFIX = b'{"ok":true,"result":'
_STATUS_LINES = {}


class _Raw:
    """A handler result that is already JSON-encoded."""

    __slots__ = ("encoded", "value")

    def __init__(self, encoded: bytes, value: Any):
        self.encoded, self.value = encoded, value


class ApiError(Exception):
    """Raised inside a method handler: becomes ``{"ok": false, ...}`` with this HTTP status."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


class Call:
    """One API call: method, decoded params, monotonic receipt/completion times, HTTP status, result."""

    __slots__ = ("index", "method", "params", "t", "t_done", "status", "result", "error")

    def __init__(self, method: str, params: dict, t: float):
        self.index = -1
        self.method, self.params, self.t = method, params, t
        self.t_done = t
        self.status = 0
        self.result: Any = None
        self.error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        return f"Call(#{self.index} {self.method} {self.status} {_short(self.params)})"


def _short(obj: Any, limit: int = 160) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "…"


def _decode_value(name: str, value: str) -> Any:
    if name in STRING_FIELDS or not value or value[0] not in _JSON_START:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _unquote_plus(raw: bytes) -> str:
    """urllib.parse.unquote_plus for bytes, about five times faster on CJK text: binascii's C
    quoted-printable decoder does the %XX work once '%' is mapped to '=' (literal '=' and '+' are escaped
    first). Each well-formed %XX shrinks the input by exactly two bytes; anything else (a malformed escape,
    a raw line break) falls back to urllib."""
    if b"%" in raw or b"+" in raw:
        protected = raw.replace(b"=", b"%3D").replace(b"+", b"%20")
        decoded = binascii.a2b_qp(protected.replace(b"%", b"="))
        if len(decoded) != len(protected) - 2 * protected.count(b"%") or b"\n" in raw or b"\r" in raw:
            return unquote_plus(raw.decode("latin-1"), encoding="utf-8", errors="replace")
        raw = decoded
    return raw.decode("utf-8", "replace")


def _parse_form(body: bytes, params: dict) -> None:
    for pair in body.split(b"&"):
        if pair:
            key, _, value = pair.partition(b"=")
            name = _unquote_plus(key)
            params[name] = _decode_value(name, _unquote_plus(value))


_DISPOSITION_RE = re.compile(r'(\w+\*?)=(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def _parse_multipart(body: bytes, content_type: str, params: dict) -> None:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ApiError(400, "Bad Request: multipart boundary is missing")
    delimiter = b"--" + match.group(1).encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        disposition = {}
        for key, quoted, bare in _DISPOSITION_RE.findall(headers.get("content-disposition", "")):
            disposition[key.lower()] = quoted.replace('\\"', '"') if quoted else bare
        name = disposition.get("name")
        if name is None:
            continue
        filename = disposition.get("filename")
        if "filename*" in disposition:
            filename = unquote(disposition["filename*"].split("''", 1)[-1])
        media = headers.get("content-type", "text/plain").split(";")[0].strip().lower()
        if filename is not None or media != "text/plain":  # "text/plain; charset=utf-8" is a plain field too
            params[name] = UploadedFile(filename, headers.get("content-type"), data)
        else:
            params[name] = _decode_value(name, data.decode("utf-8", "replace"))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render_html(text: str) -> str:
    """Telegram's HTML parse mode: validate tags like Telegram does and return the plain text."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:lt])
        match = _TAG_RE.match(text, lt)
        offset = len(text[:lt].encode("utf-8"))
        if not match:
            snippet = re.match(r"<([^\s<>]*)", text[lt:]).group(1)
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{snippet}" at byte offset {offset}'
            )
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if not stack:
                raise ApiError(400, f"Bad Request: can't parse entities: Unexpected end tag at byte offset {offset}")
            if stack[-1] != name:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{offset}, expected "</{stack[-1]}>", found "</{name}>"',
                )
            stack.pop()
        else:
            if name not in _HTML_TAGS:
                raise ApiError(
                    400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                )
            stack.append(name)
        pos = match.end()
    if stack:
        raise ApiError(
            400, f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    plain = "".join(out)
    if "&" in plain:
        plain = _ENTITY_RE.sub(_entity, plain)
    return plain


def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _ENTITY_NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    return chr(code) if 0 < code < 0x110000 else match.group(0)


def _render(text: Any, parse_mode: Any, *, what: str = "message text", limit: int = MAX_TEXT) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    plain = render_html(text) if isinstance(parse_mode, str) and parse_mode.lower() == "html" else text
    if not plain.strip():
        raise ApiError(400, f"Bad Request: {what} is empty")
    if len(plain) > limit:
        raise ApiError(
            400,
            "Bad Request: message is too long"
            if what == "message text"
            else "Bad Request: message caption is too long",
        )
    return plain


def _validate_markup(markup: Any) -> dict | None:
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not button["url"]:
                        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                elif not any(
                    key in button
                    for key in (
                        "login_url",
                        "switch_inline_query",
                        "pay",
                        "switch_inline_query_current_chat",
                        "web_app",
                        "callback_game",
                        "copy_text",
                        "switch_inline_query_chosen_chat",
                    )
                ):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, 'Bad Request: field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    return markup


def _inline_buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")
    return line


class _Handler(BaseHTTPRequestHandler):
    """A lean HTTP/1.1 keep-alive handler: hand-rolled request parsing, one write per response."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeBotAPI/1.0"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.fake._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence request logging
        pass

    def handle_one_request(self) -> None:
        self.close_connection = True
        try:
            line = self.rfile.readline(65537)
            if not line or len(line) > 65536:
                return
            parts = line.split()
            if len(parts) != 3:
                if parts:
                    self._write(400, b'{"ok":false,"error_code":400,"description":"Bad Request"}', close=True)
                return
            method, target, version = parts
            headers: dict[str, str] = {}
            while True:
                header = self.rfile.readline(65537)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.partition(b":")
                headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
                if len(headers) > 200:
                    return
            connection = headers.get("connection", "").lower()
            keep_alive = connection != "close" if version == b"HTTP/1.1" else connection == "keep-alive"
            if headers.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if "chunked" in headers.get("transfer-encoding", "").lower():
                body = self._read_chunked()
            else:
                length = int(headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
            status, payload, content_type = self.server.fake._dispatch(
                method.decode("latin-1"), target.decode("latin-1"), headers, body
            )
            if status == 0:  # injected connection drop
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self._write(status, payload, close=not keep_alive, content_type=content_type)
            self.close_connection = not keep_alive
        except (ConnectionError, TimeoutError, OSError, ValueError):
            self.close_connection = True

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _write(
        self, status: int, payload: bytes, *, close: bool = False, content_type: bytes = b"application/json"
    ) -> None:
        self.wfile.write(
            b"".join(
                (
                    _status_line(status),
                    b"Server: FakeBotAPI\r\nContent-Type: ",
                    content_type,
                    b"\r\nContent-Length: ",
                    str(len(payload)).encode(),
                    b"\r\nConnection: close\r\n\r\n" if close else b"\r\nConnection: keep-alive\r\n\r\n",
                    payload,
                )
            )
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:  # a dropped client is not news
        pass


class FakeBotAPI:
    """A Telegram Bot API double on 127.0.0.1. Thread-safe; use as a context manager or start()/stop()."""

    GROUP_CHAT_ID = -4001001001
    SUPERGROUP_CHAT_ID = -1001001001001
    CHANNEL_CHAT_ID = -1009009009009
    DEFAULT_USER_ID = 1001

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "zhibu_test_bot",
        bot_id: int = 123456,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_first_name: str = "支部助手",
    ):
        self.token, self.bot_username, self.bot_id = token, bot_username, bot_id
        self.host, self.port = host, port
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username}

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        # what the bot did
        self.calls: list[tuple[str, dict]] = []
        self.call_log: list[Call] = []
        self._call_by_params: dict[int, Call] = {}
        self.downloads: list[str] = []
        # updates
        self._pending: deque[dict] = deque()
        self._next_update_id = 100_001
        self._confirmed_below = 0  # every update_id < this has been confirmed by an offset
        self._poll_generation = 0
        self._push_mark = 0  # len(call_log) at the latest push: the default ``since`` of wait_for
        self.pushed_at: dict[int, float] = {}
        self.delivered_at: dict[int, float] = {}
        # state
        self.chats: dict[int, dict] = {}
        self.users: dict[int, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self._next_message_id = 1
        self.chat_members: dict[tuple[int, int], str] = {}
        self.files: dict[str, bytes] = {}
        self.file_paths: dict[str, str] = {}  # file_path -> file_id
        self._file_seq = 0
        self.callback_queries: dict[str, dict] = {}
        self.answers: dict[str, dict] = {}
        self._next_callback = 1
        self.commands: dict[tuple[str, str], list] = {}
        self.settings: dict[str, Any] = {}
        self.webhook_url = ""
        # faults
        self._faults: dict[str, deque] = {}
        self._delays: dict[str, deque] = {}

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._stopping = False
        self._methods: dict[str, tuple[str, Callable[[dict], Any]]] = {}
        for name in (
            "getMe",
            "getUpdates",
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "answerCallbackQuery",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "deleteWebhook",
            "setWebhook",
            "getWebhookInfo",
            "getChatMember",
            "getChatAdministrators",
            "getFile",
            "sendChatAction",
            "deleteMessage",
            "close",
            "logOut",
            "sendDocument",
            "sendPhoto",
            "leaveChat",
            "setChatMenuButton",
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
        ):
            self._methods[name.lower()] = (name, getattr(self, "_m_" + name))

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def start(self) -> "FakeBotAPI":
        if self._server is not None:
            return self
        self._stopping = False
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"FakeBotAPI:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeBotAPI":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    # ------------------------------------------------------------------ HTTP dispatch
    def _dispatch(self, verb: str, target: str, headers: dict, body: bytes) -> tuple[int, bytes, bytes]:
        path, _, query = target.partition("?")
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', b"application/json"
        token, _, method = path[4:].partition("/")
        if token != self.token:
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', b"application/json"
        received = time.monotonic()
        params: dict[str, Any] = {}
        try:
            if query:
                _parse_form(query.encode("latin-1"), params)
            if body:
                content_type = headers.get("content-type", "")
                if content_type.startswith("application/x-www-form-urlencoded"):
                    _parse_form(body, params)
                elif content_type.startswith("multipart/form-data"):
                    _parse_multipart(body, content_type, params)
                elif content_type.startswith("application/json"):
                    decoded = json.loads(body)
                    if not isinstance(decoded, dict):
                        raise ApiError(400, "Bad Request: JSON body must be an object")
                    # As telegram-bot-api does: a string value means what the same form field would.
                    params.update({k: _decode_value(k, v) if isinstance(v, str) else v for k, v in decoded.items()})
                else:  # Telegram is lenient; try form encoding
                    _parse_form(body, params)
        except ApiError as exc:
            return self._error_response(Call(method, params, received), exc)
        except ValueError:
            return self._error_response(
                Call(method, params, received), ApiError(400, "Bad Request: can't parse request body")
            )

        key = method.lower()
        canonical, handler = self._methods.get(key, (method, None))
        call = Call(canonical, params, received)
        fault = self._take(self._faults, key)
        delay = self._take(self._delays, key)
        if delay:
            time.sleep(delay)
        if fault is not None:
            if fault[0] == 0:
                self._record(call, 0, None, "connection dropped")
                return 0, b"", b""
            return self._error_response(call, ApiError(*fault))
        if handler is None:
            return self._error_response(call, ApiError(404, "Not Found"))
        try:
            result = handler(params)
            if type(result) is _Raw:
                payload, result = _OK_PREFIX + result.encoded + b"}", result.value
            else:
                payload = _OK_PREFIX + json.dumps(result).encode() + b"}"
        except ApiError as exc:
            return self._error_response(call, exc)
        except Exception as exc:  # a bug in the fake itself: surface it as a 500 with the reason
            return self._error_response(call, ApiError(500, f"Internal Server Error: fake {canonical}: {exc!r}"))
        self._record(call, 200, result, None)
        return 200, payload, b"application/json"

    def _error_response(self, call: Call, exc: ApiError) -> tuple[int, bytes, bytes]:
        self._record(call, exc.status, None, exc.description)
        body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return exc.status, json.dumps(body).encode(), b"application/json"

    def _record(self, call: Call, status: int, result: Any, error: str | None) -> None:
        call.t_done = time.monotonic()
        call.status, call.result, call.error = status, result, error
        with self._cond:
            call.index = len(self.call_log)
            self.call_log.append(call)
            self.calls.append((call.method, call.params))
            self._call_by_params[id(call.params)] = call
            self._cond.notify_all()

    def _take(self, table: dict[str, deque], key: str) -> Any:
        if not table:
            return None
        with self._lock:
            for name in (key, "*"):
                queue = table.get(name)
                if queue:
                    value, remaining = queue[0]
                    if remaining is None:
                        return value
                    if remaining <= 1:
                        queue.popleft()
                    else:
                        queue[0] = (value, remaining - 1)
                    return value
        return None

    def _download(self, rest: str) -> tuple[int, bytes, bytes]:
        token, _, file_path = unquote(rest).partition("/")  # PTB percent-encodes the whole URL path
        if token != self.token:
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', b"application/json"
        fault = self._take(self._faults, "download")
        delay = self._take(self._delays, "download")
        if delay:
            time.sleep(delay)
        with self._lock:
            self.downloads.append(file_path)
            file_id = self.file_paths.get(file_path)
            data = self.files.get(file_id) if file_id is not None else None
        if fault is not None:
            if fault[0] == 0:
                return 0, b"", b""
            exc = ApiError(*fault)
            return (
                exc.status,
                json.dumps({"ok": False, "error_code": exc.status, "description": exc.description}).encode(),
                b"application/json",
            )
        if data is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', b"application/json"
        return 200, data, b"application/octet-stream"

    # ------------------------------------------------------------------ faults
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int | None = 1,
        description: str | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (``count=None``: until ``clear_faults()``).

        ``method`` is an API method name (case-insensitive), ``"*"`` for any method, or ``"download"`` for
        file downloads. ``status``: 429 (with ``parameters.retry_after``), 500/502 (NetworkError), 403
        ("Forbidden: bot was kicked from the group chat"), 400 (with ``migrate_to_chat_id``: ChatMigrated),
        409, 401, or 0 to drop the connection without answering (httpx error -> NetworkError).
        """
        parameters = None
        if status == 429:
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif migrate_to_chat_id is not None:
            parameters = {"migrate_to_chat_id": migrate_to_chat_id}
            description = description or "Bad Request: group chat was upgraded to a supergroup chat"
        elif description is None:
            description = {
                400: "Bad Request: chat not found",
                401: "Unauthorized",
                403: "Forbidden: bot was kicked from the group chat",
                409: "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
                500: "Internal Server Error",
                502: "Bad Gateway",
                0: "connection dropped",
            }.get(status) or _status_line(status).decode().split(" ", 2)[2].strip()
        with self._lock:
            self._faults.setdefault(method.lower(), deque()).append(((status, description, parameters), count))

    def delay(self, method: str, seconds: float, count: int | None = 1) -> None:
        """Answer the next ``count`` calls of ``method`` (or ``"*"``, ``"download"``) ``seconds`` late."""
        with self._lock:
            self._delays.setdefault(method.lower(), deque()).append((seconds, count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._delays.clear()

    # ------------------------------------------------------------------ inspecting
    def mark(self) -> int:
        """The current call count: pass it as ``since=`` to only look at calls made after this point."""
        with self._lock:
            return len(self.call_log)

    def result_of(self, params: dict) -> Any:
        """The result returned for a recorded call's params (e.g. the Message of a sendMessage)."""
        call = self._call_by_params.get(id(params))
        if call is None:
            raise KeyError("these params are not a recorded call")
        return call.result

    def sent(
        self, method: str = "sendMessage", chat_id: int | str | None = None, *, include_failed: bool = False
    ) -> list[dict]:
        with self._lock:
            log = list(self.call_log)
        chat_id = _norm_chat_id(chat_id)
        return [
            c.params
            for c in log
            if c.method == method
            and (c.ok or include_failed)
            and (chat_id is None or _norm_chat_id(c.params.get("chat_id")) == chat_id)
        ]

    def wait_for(
        self,
        predicate: Callable[[str, dict], bool],
        timeout: float = 10.0,
        *,
        since: int | None = None,
        include_failed: bool = False,
    ) -> dict:
        """The params of the first call from index ``since`` for which ``predicate(method, params)`` holds.

        ``since`` defaults to the call count at the most recent push (send_text, click, send_update_of,
        push_update), so a wait after a user action never matches a stale reply to an earlier one. Pass
        ``since=0`` to search every call, or ``since=fake.mark()`` taken before several actions."""
        deadline = time.monotonic() + timeout
        if since is None:
            since = self._push_mark
        pos = since
        while True:
            with self._cond:
                batch = self.call_log[pos:]
                if not batch:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                    continue
            for call in batch:
                pos += 1
                if (call.ok or include_failed) and predicate(call.method, call.params):
                    return call.params
        raise AssertionError(
            f"no matching API call from #{since} on within {timeout}s; recent calls:\n{self.describe_calls()}"
        )

    def wait_sent(
        self,
        chat_id: int | str | None = None,
        contains: str | None = None,
        timeout: float = 10.0,
        *,
        since: int | None = None,
        method: str = "sendMessage",
    ) -> dict:
        """The params of the first successful ``method`` call to ``chat_id`` whose text contains ``contains``
        (matched against the raw text/caption as sent and against the rendered plain text)."""
        chat_id = _norm_chat_id(chat_id)

        def matches(name: str, params: dict) -> bool:
            if name != method:
                return False
            if chat_id is not None and _norm_chat_id(params.get("chat_id")) != chat_id:
                return False
            if contains is None:
                return True
            raw = params.get("text", params.get("caption"))
            if isinstance(raw, str) and contains in raw:
                return True
            result = self.result_of(params)
            plain = result.get("text", result.get("caption")) if isinstance(result, dict) else None
            return isinstance(plain, str) and contains in plain

        try:
            return self.wait_for(matches, timeout, since=since)
        except AssertionError as exc:
            raise AssertionError(f"no {method} to chat {chat_id} containing {contains!r}: {exc}") from None

    def describe_calls(self, last: int = 20) -> str:
        with self._lock:
            log = self.call_log[-last:]
        lines = []
        for call in log:
            status = "ok" if call.ok else f"{call.status} {call.error}"
            lines.append(f"  #{call.index} {call.method} [{status}] {_short(call.params, 300)}")
        return "\n".join(lines) or "  (none)"

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self.call_log.clear()
            self._call_by_params.clear()
            self._push_mark = 0
            self.downloads.clear()

    # ------------------------------------------------------------------ updates
    def push_update(self, update: dict) -> int:
        """Queue an update for getUpdates; sets and returns its ``update_id``. Messages in it are remembered
        (so replies, edits and clicks can refer to them) and their chats and users registered."""
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            update["update_id"] = update_id
            for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
                message = update.get(key)
                if isinstance(message, dict):
                    self._remember_message(message)
            callback = update.get("callback_query")
            if isinstance(callback, dict):
                self.callback_queries.setdefault(str(callback.get("id")), callback)
                if isinstance(callback.get("from"), dict):
                    self.users.setdefault(callback["from"]["id"], callback["from"])
            self._pending.append(update)
            self._push_mark = len(self.call_log)
            self.pushed_at[update_id] = time.monotonic()
            self._cond.notify_all()
        return update_id

    def _remember_message(self, message: dict) -> None:  # under the lock
        chat = message.get("chat")
        if isinstance(chat, dict) and "id" in chat:
            self.chats[chat["id"]] = chat  # the latest title/name wins
            if "message_id" in message:
                self.messages[(chat["id"], message["message_id"])] = dict(message)
                self._next_message_id = max(self._next_message_id, message["message_id"] + 1)
        user = message.get("from")
        if isinstance(user, dict) and "id" in user:
            self.users.setdefault(user["id"], user)

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait_confirmed(self, update_id: int | None = None, timeout: float = 10.0) -> None:
        """Wait until the bot has confirmed (via getUpdates ``offset``) ``update_id``, default the last pushed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._next_update_id - 1 if update_id is None else update_id
            while self._confirmed_below <= target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"update {target} not confirmed within {timeout}s; "
                        f"bot confirmed up to {self._confirmed_below - 1}"
                    )
                self._cond.wait(remaining)

    def _new_message_id(self) -> int:  # under the lock
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name or f"用户{user_id}"}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._lock:
            if first_name is None and user_id in self.users:
                return self.users[user_id]
            self.users[user_id] = user
        return user

    def _chat(self, chat_type: str, chat_id: int | None, user: dict, title: str) -> dict:
        if chat_type == "private":
            chat = {
                "id": user["id"] if chat_id is None else chat_id,
                "type": "private",
                "first_name": user["first_name"],
            }
            if "username" in user:
                chat["username"] = user["username"]
            return chat
        if chat_type not in ("group", "supergroup", "channel"):
            raise ValueError(f"chat_type must be private, group, supergroup or channel, not {chat_type!r}")
        default = {"group": self.GROUP_CHAT_ID, "supergroup": self.SUPERGROUP_CHAT_ID, "channel": self.CHANNEL_CHAT_ID}[
            chat_type
        ]
        return {"id": default if chat_id is None else chat_id, "type": chat_type, "title": title}

    def _message(
        self,
        *,
        chat_id: int | None,
        user_id: int,
        chat_type: str,
        first_name: str | None,
        username: str | None,
        chat_title: str,
        reply_to_bot_message_id: int | None = None,
        reply_to: dict | None = None,
    ) -> dict:
        user = self._user(user_id, first_name, username)
        chat = self._chat(chat_type, chat_id, user, chat_title)
        with self._lock:
            message = {"message_id": self._new_message_id(), "from": user, "chat": chat, "date": int(time.time())}
            target = reply_to
            if reply_to_bot_message_id is not None:
                target = self.messages.get((chat["id"], reply_to_bot_message_id))
                if target is None:
                    raise ValueError(f"no message {reply_to_bot_message_id} in chat {chat['id']} to reply to")
            if target is not None:
                stored = self.messages.get((target["chat"]["id"], target["message_id"]), target)
                message["reply_to_message"] = {k: v for k, v in stored.items() if k != "reply_to_message"}
        return message

    def send_text(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        first_name: str | None = "张书记",
        username: str | None = "secretary",
        reply_to_bot_message_id: int | None = None,
        reply_to: dict | None = None,
        chat_title: str = "测试支部群",
    ) -> dict:
        """Push a text Message update and return the message. ``chat_id`` defaults to ``user_id`` in a private
        chat and to ``GROUP_CHAT_ID`` / ``SUPERGROUP_CHAT_ID`` in groups. Entities: ``bot_command`` for
        "/cmd" and "/cmd@bot", ``mention`` for "@username"."""
        message = self._message(
            chat_id=chat_id,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            username=username,
            chat_title=chat_title,
            reply_to_bot_message_id=reply_to_bot_message_id,
            reply_to=reply_to,
        )
        message["text"] = text
        entities = text_entities(text)
        if entities:
            message["entities"] = entities
        self.push_update({"message": message})
        return message

    def _file(self, prefix: str, content: bytes | None, default: bytes) -> tuple[str, str, bytes]:
        data = default if content is None else content
        with self._lock:
            self._file_seq += 1
            seq = self._file_seq
            file_id = f"{prefix}-{seq:06d}-AgACAgUAAxkBAAI"
            self.files[file_id] = data
        return file_id, f"uniq{prefix}{seq}", data

    def send_update_of(
        self,
        kind: str,
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        first_name: str | None = "张书记",
        username: str | None = "secretary",
        chat_title: str = "测试支部群",
        text: str | None = None,
        caption: str | None = None,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        emoji: str = "👍",
        message: dict | None = None,
        new_status: str = "member",
        old_status: str = "left",
    ) -> dict:
        """Push an update of another kind and return the update. ``kind``:

        - ``sticker``, ``photo``, ``voice``, ``document`` (files registered in ``files`` for getFile; pass
          ``content`` bytes, ``file_name``, ``mime_type``, ``caption``), ``location``, ``contact``;
        - ``edited_message`` (``message``: an earlier message to edit, ``text``: the new text);
        - ``channel_post`` (``text``; chat ``CHANNEL_CHAT_ID`` unless ``chat_id``);
        - ``new_chat_members`` (the bot added to a group), ``left_chat_member`` (the bot removed);
        - ``my_chat_member`` (the bot's status in the chat changes ``old_status`` -> ``new_status``).
        """
        if kind == "channel_post":
            chat = self._chat("channel", chat_id, {}, chat_title if chat_title != "测试支部群" else "支部通知频道")
            with self._lock:
                post = {
                    "message_id": self._new_message_id(),
                    "sender_chat": chat,
                    "chat": chat,
                    "date": int(time.time()),
                    "text": text or "支部通知：本周五下午组织生活会",
                }
            update = {"channel_post": post}
            self.push_update(update)
            return update

        if kind == "edited_message":
            if message is not None:
                with self._lock:
                    stored = self.messages.get((message["chat"]["id"], message["message_id"]), message)
                    edited = dict(stored)
            else:
                edited = self._message(
                    chat_id=chat_id,
                    user_id=user_id,
                    chat_type=chat_type,
                    first_name=first_name,
                    username=username,
                    chat_title=chat_title,
                )
            edited["text"] = text if text is not None else (edited.get("text", "") + "（已修改）")
            entities = text_entities(edited["text"])
            edited.pop("entities", None)
            if entities:
                edited["entities"] = entities
            edited["edit_date"] = int(time.time())
            update = {"edited_message": edited}
            self.push_update(update)
            return update

        msg = self._message(
            chat_id=chat_id,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            username=username,
            chat_title=chat_title,
        )
        if kind == "sticker":
            file_id, unique, data = self._file("STK", content, b"RIFF\x00\x00\x00\x00WEBPVP8 fake sticker")
            msg["sticker"] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "emoji": emoji,
                "set_name": "ZhibuTestStickers",
                "file_size": len(data),
            }
        elif kind == "photo":
            file_id, unique, data = self._file("PHO", content, b"\xff\xd8\xff\xe0fake jpeg\xff\xd9")
            small_id, small_unique, _ = self._file("PHS", content, data)
            msg["photo"] = [
                {
                    "file_id": small_id,
                    "file_unique_id": small_unique,
                    "width": 90,
                    "height": 68,
                    "file_size": len(data),
                },
                {"file_id": file_id, "file_unique_id": unique, "width": 1280, "height": 960, "file_size": len(data)},
            ]
        elif kind == "voice":
            file_id, unique, data = self._file("VOI", content, b"OggS\x00fake opus voice")
            msg["voice"] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "duration": 3,
                "mime_type": mime_type or "audio/ogg",
                "file_size": len(data),
            }
        elif kind == "document":
            file_id, unique, data = self._file("DOC", content, "问：入党要几个介绍人？\n答：两名正式党员。\n".encode())
            msg["document"] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_name": file_name or "支部材料.txt",
                "mime_type": mime_type or "text/plain",
                "file_size": len(data),
            }
        elif kind == "location":
            msg["location"] = {"latitude": 39.9042, "longitude": 116.4074}
        elif kind == "contact":
            msg["contact"] = {"phone_number": "+8613800000000", "first_name": "李委员", "user_id": 2002}
        elif kind == "new_chat_members":
            msg["new_chat_members"] = [self.bot_user]
        elif kind == "left_chat_member":
            msg["left_chat_member"] = self.bot_user
        elif kind == "my_chat_member":
            update = {
                "my_chat_member": {
                    "chat": msg["chat"],
                    "from": msg["from"],
                    "date": msg["date"],
                    "old_chat_member": self._member_json(self.bot_user, old_status),
                    "new_chat_member": self._member_json(self.bot_user, new_status),
                }
            }
            self.push_update(update)
            return update
        else:
            raise ValueError(f"unknown update kind {kind!r}")
        if caption is not None and kind in ("photo", "voice", "document"):
            msg["caption"] = caption
            entities = text_entities(caption)
            if entities:
                msg["caption_entities"] = entities
        update = {"message": msg}
        self.push_update(update)
        return update

    def buttons(self, message: dict) -> list[tuple[str, str | None]]:
        """(text, callback_data or url) of the inline buttons currently on a bot message."""
        stored = self._stored(message)
        return [(b["text"], b.get("callback_data", b.get("url"))) for b in _inline_buttons(stored)]

    def _stored(self, message: dict) -> dict:
        if "message_id" in message and isinstance(message.get("chat"), dict):
            key = (message["chat"]["id"], message["message_id"])
        else:  # params of a recorded sendMessage/editMessageText call
            result = self.result_of(message)
            if not isinstance(result, dict) or "message_id" not in result:
                raise AssertionError(f"that call did not return a message: {_short(result)}")
            key = (result["chat"]["id"], result["message_id"])
        with self._lock:
            stored = self.messages.get(key)
            if stored is None:
                raise AssertionError(f"message {key[1]} in chat {key[0]} does not exist (deleted?)")
            return dict(stored)

    def click(self, message: dict, data: str, *, user_id: int | None = None) -> dict:
        """Push a callback_query for an inline button on a bot message and return the update.

        ``message`` is a Message dict or the params of the sendMessage/editMessageText call that produced it
        (as returned by ``wait_sent``); the message's *current* keyboard is used. ``data`` is the button's
        callback_data or, failing that, its text. A missing button raises AssertionError."""
        stored = self._stored(message)
        buttons = _inline_buttons(stored)
        button = next((b for b in buttons if b.get("callback_data") == data), None) or next(
            (b for b in buttons if b.get("text") == data and "callback_data" in b), None
        )
        if button is None:
            available = [(b.get("text"), b.get("callback_data")) for b in buttons]
            raise AssertionError(f"no inline button {data!r} on message {stored['message_id']}; buttons: {available}")
        chat = stored["chat"]
        if user_id is None:
            user_id = chat["id"] if chat["type"] == "private" else self.DEFAULT_USER_ID
        user = self._user(user_id)
        with self._lock:
            query_id = f"{4_000_000_000_000_000 + self._next_callback}"
            self._next_callback += 1
        callback = {
            "id": query_id,
            "from": user,
            "message": stored,
            "chat_instance": str(-(abs(chat["id"]) * 7919 % 10**12) - 1),
            "data": button["callback_data"],
        }
        update = {"callback_query": callback}
        self.push_update(update)
        return update

    # ------------------------------------------------------------------ API methods
    def _m_getMe(self, params: dict) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        allowed = set(allowed) if isinstance(allowed, list) and allowed else None
        deadline = time.monotonic() + timeout
        with self._cond:
            if self.webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            if offset < 0:
                while len(self._pending) > -offset:
                    self._confirmed_below = self._pending.popleft()["update_id"] + 1
            elif offset:
                while self._pending and self._pending[0]["update_id"] < offset:
                    self._pending.popleft()
                if offset > self._confirmed_below:
                    self._confirmed_below = offset
                    self._cond.notify_all()
            while True:
                if self._poll_generation != generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                ready = (
                    [u for u in self._pending if allowed is None or _update_type(u) in allowed][:limit]
                    if self._pending
                    else []
                )
                remaining = deadline - time.monotonic()
                if ready or self._stopping or remaining <= 0:
                    break
                self._cond.wait(remaining)
            now = time.monotonic()
            for update in ready:
                self.delivered_at.setdefault(update["update_id"], now)
            # serialised under the lock: stored dicts are only mutated under it
            return _Raw(json.dumps(ready).encode(), ready) if ready else []

    def _m_sendMessage(self, params: dict) -> dict:
        chat = self._chat_for(params.get("chat_id"))
        plain = _render(params.get("text"), params.get("parse_mode"))
        markup = _validate_markup(params.get("reply_markup"))
        return self._new_bot_message(chat, params, {"text": plain}, markup)

    def _new_bot_message(self, chat: dict, params: dict, content: dict, markup: dict | None) -> dict:
        with self._lock:
            message = {
                "message_id": self._new_message_id(),
                "from": self.bot_user,
                "chat": chat,
                "date": int(time.time()),
                **content,
            }
            reply = params.get("reply_parameters")
            reply_id = reply.get("message_id") if isinstance(reply, dict) else params.get("reply_to_message_id")
            if reply_id is not None:
                reply_chat = _norm_chat_id(reply.get("chat_id")) if isinstance(reply, dict) else None
                target = self.messages.get((chat["id"] if reply_chat is None else reply_chat, int(reply_id)))
                allow = (
                    reply.get("allow_sending_without_reply")
                    if isinstance(reply, dict)
                    else params.get("allow_sending_without_reply")
                )
                if target is not None:
                    message["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
                elif not allow:
                    raise ApiError(400, "Bad Request: message to be replied not found")
            if markup and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            self.messages[(chat["id"], message["message_id"])] = message
            return dict(message)

    def _m_sendDocument(self, params: dict) -> dict:
        return self._send_file(params, "document")

    def _m_sendPhoto(self, params: dict) -> dict:
        return self._send_file(params, "photo")

    def _send_file(self, params: dict, field: str) -> dict:
        chat = self._chat_for(params.get("chat_id"))
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, UploadedFile):
            file_id, unique, data = self._file(field[:3].upper(), value.data, b"")
            name, mime = value.filename, value.content_type
        elif isinstance(value, str) and value in self.files:
            file_id, unique, data, name, mime = value, "uniq" + value[-8:], self.files[value], None, None
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id, unique, data = self._file(field[:3].upper(), b"", b"")
            name, mime = value.rsplit("/", 1)[-1], None
        else:
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        content: dict[str, Any] = {}
        if field == "photo":
            content["photo"] = [
                {"file_id": file_id, "file_unique_id": unique, "width": 800, "height": 600, "file_size": len(data)}
            ]
        else:
            document = {"file_id": file_id, "file_unique_id": unique, "file_size": len(data)}
            if name:
                document["file_name"] = name
            if mime:
                document["mime_type"] = mime
            content["document"] = document
        if params.get("caption"):
            content["caption"] = _render(
                params["caption"], params.get("parse_mode"), what="message caption", limit=MAX_CAPTION
            )
        return self._new_bot_message(chat, params, content, _validate_markup(params.get("reply_markup")))

    def _editable(self, params: dict) -> dict | None:  # under the lock; None for inline messages
        if params.get("inline_message_id"):
            return None
        chat_id = _norm_chat_id(params.get("chat_id"))
        message_id = params.get("message_id")
        if chat_id is None or message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self.messages.get((chat_id, int(message_id)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _m_editMessageText(self, params: dict) -> dict | bool:
        plain = _render(params.get("text"), params.get("parse_mode"))
        markup = _validate_markup(params.get("reply_markup"))
        markup = markup if markup and "inline_keyboard" in markup else None
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            if "text" not in message:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            if message["text"] == plain and message.get("reply_markup") == markup:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["text"] = plain
            message["edit_date"] = int(time.time())
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            return dict(message)

    def _m_editMessageReplyMarkup(self, params: dict) -> dict | bool:
        markup = _validate_markup(params.get("reply_markup"))
        markup = markup if markup and "inline_keyboard" in markup else None
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            if message.get("reply_markup") == markup:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["edit_date"] = int(time.time())
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            return dict(message)

    def _m_deleteMessage(self, params: dict) -> bool:
        chat_id = _norm_chat_id(params.get("chat_id"))
        with self._lock:
            if self.messages.pop((chat_id, int(params.get("message_id") or 0)), None) is None:
                raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_answerCallbackQuery(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        with self._lock:
            if query_id not in self.callback_queries or query_id in self.answers:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            self.answers[query_id] = params
        return True

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_RE.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self.commands[self._commands_key(params)] = commands
        return True

    def _m_getMyCommands(self, params: dict) -> list:
        with self._lock:
            return list(self.commands.get(self._commands_key(params), []))

    def _m_deleteMyCommands(self, params: dict) -> bool:
        with self._lock:
            self.commands.pop(self._commands_key(params), None)
        return True

    def _m_setWebhook(self, params: dict) -> bool:
        with self._lock:
            self.webhook_url = str(params.get("url") or "")
            self.settings["webhook"] = params
        return True

    def _m_deleteWebhook(self, params: dict) -> bool:
        with self._cond:
            self.webhook_url = ""
            if params.get("drop_pending_updates"):
                if self._pending:
                    self._confirmed_below = self._pending[-1]["update_id"] + 1
                self._pending.clear()
                self._cond.notify_all()
        return True

    def _m_getWebhookInfo(self, params: dict) -> dict:
        with self._lock:
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            }

    def _member_json(self, user: dict, status: str) -> dict:
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        if status == "restricted":
            flags = (
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_send_messages",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_manage_topics",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_edit_tag",
            )
            return {
                "status": "restricted",
                "user": user,
                "is_member": True,
                "until_date": 0,
                **{flag: False for flag in flags},
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status == "left":
            return {"status": "left", "user": user}
        return {"status": "member", "user": user}

    def _user_json(self, user_id: int) -> dict:
        if user_id == self.bot_id:
            return self.bot_user
        return self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"}

    def _m_getChatMember(self, params: dict) -> dict:
        chat = self._chat_for(params.get("chat_id"))
        try:
            user_id = int(params.get("user_id"))
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: invalid user_id specified") from None
        with self._lock:
            status = self.chat_members.get((chat["id"], user_id), "member")
            return self._member_json(self._user_json(user_id), status)

    def _m_getChatAdministrators(self, params: dict) -> list:
        chat = self._chat_for(params.get("chat_id"))
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        with self._lock:
            return [
                self._member_json(self._user_json(uid), status)
                for (cid, uid), status in self.chat_members.items()
                if cid == chat["id"] and status in ("creator", "administrator")
            ]

    def _m_getFile(self, params: dict) -> dict:
        file_id = str(params.get("file_id") or "")
        with self._lock:
            data = self.files.get(file_id)
            if data is None:
                raise ApiError(400, "Bad Request: invalid file_id")
            if len(data) > MAX_DOWNLOAD:
                raise ApiError(400, "Bad Request: file is too big")
            path = next((p for p, fid in self.file_paths.items() if fid == file_id), None)
            if path is None:
                folder = {"STK": "stickers", "PHO": "photos", "PHS": "photos", "VOI": "voice", "DOC": "documents"}.get(
                    file_id[:3], "documents"
                )
                path = f"{folder}/file_{len(self.file_paths)}{_extension(file_id)}"
                self.file_paths[path] = file_id
        return {"file_id": file_id, "file_unique_id": "uniq" + file_id[:12], "file_size": len(data), "file_path": path}

    def _m_sendChatAction(self, params: dict) -> bool:
        self._chat_for(params.get("chat_id"))
        if not params.get("action"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_leaveChat(self, params: dict) -> bool:
        self._chat_for(params.get("chat_id"))
        return True

    def _setting(self, name: str, params: dict) -> bool:
        with self._lock:
            self.settings[name] = params
        return True

    def _m_setChatMenuButton(self, params: dict) -> bool:
        return self._setting("menu_button", params)

    def _m_setMyDescription(self, params: dict) -> bool:
        return self._setting("description", params)

    def _m_setMyShortDescription(self, params: dict) -> bool:
        return self._setting("short_description", params)

    def _m_setMyName(self, params: dict) -> bool:
        return self._setting("name", params)

    def _m_close(self, params: dict) -> bool:
        return True

    def _m_logOut(self, params: dict) -> bool:
        return True

    def _chat_for(self, chat_id: Any) -> dict:
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = _norm_chat_id(chat_id)
        with self._lock:
            if isinstance(chat_id, str):
                found = next((c for c in self.chats.values() if "@" + str(c.get("username")) == chat_id), None)
                if found is None:
                    raise ApiError(400, "Bad Request: chat not found")
                return found
            chat = self.chats.get(chat_id)
            if chat is None:  # a chat the fake has not seen: synthesise a plausible one
                if chat_id > 0:
                    user = self.users.get(chat_id, {})
                    chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", f"用户{chat_id}")}
                else:
                    chat = {
                        "id": chat_id,
                        "type": "supergroup" if str(chat_id).startswith("-100") else "group",
                        "title": f"群{-chat_id}",
                    }
                self.chats[chat_id] = chat
            return chat


def _extension(file_id: str) -> str:
    return {"STK": ".webp", "PHO": ".jpg", "PHS": ".jpg", "VOI": ".oga", "DOC": ".txt"}.get(file_id[:3], "")


def _update_type(update: dict) -> str | None:
    return next((key for key in update if key != "update_id"), None)


def _norm_chat_id(chat_id: Any) -> Any:
    if isinstance(chat_id, str):
        stripped = chat_id.strip()
        if stripped.lstrip("-").isdigit():
            return int(stripped)
        return stripped
    return chat_id


def text_entities(text: str) -> list[dict]:
    """bot_command and mention entities, with UTF-16 offsets as Telegram sends them."""
    entities = []
    spans = []
    for match in _COMMAND_RE.finditer(text):
        spans.append((match.start(), match.end(), "bot_command"))
    for match in _MENTION_RE.finditer(text):
        if not any(start <= match.start() < end for start, end, _ in spans):
            spans.append((match.start(), match.end(), "mention"))
    for start, end, kind in sorted(spans):
        entities.append({"offset": _utf16_len(text[:start]), "length": _utf16_len(text[start:end]), "type": kind})
    return entities
