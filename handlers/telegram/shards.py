"""Which process answers an update, and the frames the bot's processes exchange. Pure: no telegram, no I/O.

With ZHIBU_WORKERS=N the bot runs N processes (handlers/telegram_workers.py): the first one (the primary)
polls Telegram and hands each raw update to one process. Everything a conversation keeps (a pending
situation check, the entries last offered, the /check form) lives in the memory of the process that holds
it, so every update of one private chat user goes to the same process: shard = user id mod N.

The primary keeps what exists once per bot: groups (reminder subscriptions, the reminder clock, group
rate limits), admins (reload, upload, rollback: the one build worker and the version history), documents
(the upload path) and the commands that belong to those.
"""

from __future__ import annotations

import asyncio
import struct

PRIMARY = 0

# Commands whose state or duty is the primary's, whoever sends them in a private chat.
PRIMARY_COMMANDS = frozenset({"remind", "term", "stats", "reload", "kb", "versions", "rollback"})

# Update fields that carry a message (the rest carry no chat a user converses in).
MESSAGE_KINDS = ("message", "edited_message", "business_message", "edited_business_message")


def _command(text: str) -> str | None:
    if not text.startswith("/"):
        return None
    words = text[1:].split(maxsplit=1)
    return words[0].partition("@")[0].lower() if words else ""


def shard_of(update: dict, processes: int, admin_ids: frozenset[int] = frozenset()) -> int:
    """The process (0 = primary) that must handle this raw update (Telegram's JSON as a dict)."""
    if processes <= 1:
        return PRIMARY
    kind = next((k for k in MESSAGE_KINDS if isinstance(update.get(k), dict)), None)
    if kind is not None:
        message = update[kind]
    elif isinstance(update.get("callback_query"), dict):
        message = update["callback_query"].get("message")
        kind = "callback_query"
    else:
        return PRIMARY  # channel posts, membership changes, polls, ...: rare, and not a conversation
    sender = update[kind].get("from") if kind == "callback_query" else (message or {}).get("from")
    chat = (message or {}).get("chat") if isinstance(message, dict) else None
    user = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(user, int) or not isinstance(chat, dict) or chat.get("type") != "private":
        return PRIMARY
    if user in admin_ids:
        return PRIMARY
    if kind != "callback_query":
        if "document" in message:
            return PRIMARY  # uploads and their refusal audit
        if _command(message.get("text") or "") in PRIMARY_COMMANDS:
            return PRIMARY
    return user % processes


# -- frames: one byte of kind, four bytes of length, the payload --------------------------------------

UPDATES = b"U"   # primary -> worker: a JSON list of raw updates
CONTENT = b"C"   # primary -> worker: a pickled build_worker.Built of the live content
STOP = b"S"      # primary -> worker: finish what is queued, flush the query log, exit
READY = b"R"     # worker -> primary: started, taking updates
DONE = b"D"      # worker -> primary: these update ids are handled (8 bytes each); the rest would be re-run

_HEADER = struct.Struct("!cI")


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


_ID = struct.Struct("!q")


def pack_ids(ids: list[int]) -> bytes:
    return b"".join(_ID.pack(i) for i in ids)


def unpack_ids(payload: bytes) -> list[int]:
    return [value for (value,) in _ID.iter_unpack(payload)]


async def read_frame(reader) -> tuple[bytes, bytes] | None:
    """The next (kind, payload) from an asyncio StreamReader; None at end of stream."""
    try:
        kind, size = _HEADER.unpack(await reader.readexactly(_HEADER.size))
        return kind, await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
