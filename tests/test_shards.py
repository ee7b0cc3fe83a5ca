"""Which process answers which update (ZHIBU_WORKERS > 1), and the frames between the processes."""

from __future__ import annotations

import asyncio

import pytest

from handlers.telegram import shards

ADMIN = 4242


def private(user: int, text: str = "入党要几个介绍人", **extra) -> dict:
    return {"update_id": 1, "message": {"message_id": 5, "from": {"id": user, "is_bot": False, "first_name": "张"},
                                        "chat": {"id": user, "type": "private"}, "text": text, **extra}}


def group(user: int, text: str = "@zhibu_bot 党费怎么交") -> dict:
    return {"update_id": 2, "message": {"message_id": 6, "from": {"id": user, "is_bot": False, "first_name": "李"},
                                        "chat": {"id": -100123, "type": "supergroup"}, "text": text}}


def click(user: int, chat_type: str = "private", message: bool = True) -> dict:
    msg = {"message_id": 7, "chat": {"id": user if chat_type == "private" else -5, "type": chat_type}}
    return {"update_id": 3, "callback_query": {"id": "9", "from": {"id": user, "is_bot": False, "first_name": "王"},
                                               "chat_instance": "x", "data": "e:x", **({"message": msg} if message else {})}}


@pytest.mark.parametrize("update, processes, expected", [
    (private(1001), 1, 0),                                         # one process: everything is the primary's
    (private(1001), 2, 1),                                         # private chats: user id mod processes
    (private(1002), 2, 0),
    (private(1003), 4, 3),
    (private(1003, "/check"), 4, 3),                               # the check form lives with its user
    (private(1003, "/cancel@zhibu_bot"), 4, 3),
    (private(1003, "/"), 4, 3),                                    # a bare slash, or one before a space
    (private(1003, "/ 党费"), 4, 3),
    (private(1003, "/ "), 4, 3),
    (click(1003), 4, 3),                                           # a button press goes where the chat lives
    ({"update_id": 4, "edited_message": private(1003)["message"]}, 4, 3),
    (private(ADMIN + 1, "/reload"), 2, 0),                         # admin-only and reminder commands: primary
    (private(1003, "/stats"), 4, 0),
    (private(1003, "/Remind@zhibu_bot on dues"), 4, 0),
    (private(1003, "/term 2023-06-01"), 4, 0),
    (private(1003, "", document={"file_id": "f", "file_unique_id": "u"}), 4, 0),   # uploads: primary
    (private(ADMIN + 4 * 0 - 1), 4, 1),                            # 4241 mod 4
    (private(ADMIN), 4, 0),                                        # admins: always the primary
    (click(ADMIN), 4, 0),
    (group(1003), 4, 0),                                           # groups: primary (reminders, group limits)
    (click(1003, "supergroup"), 4, 0),
    (click(1003, message=False), 4, 0),                            # an old message Telegram no longer shows
    ({"update_id": 5, "channel_post": {"message_id": 1, "chat": {"id": -9, "type": "channel"}}}, 4, 0),
    ({"update_id": 6, "my_chat_member": {"chat": {"id": -5, "type": "group"}}}, 4, 0),
    ({"update_id": 7}, 4, 0),                                      # nothing recognisable
    ({"update_id": 8, "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}}}, 4, 0),  # no sender
    ({"update_id": 9, "message": "garbage"}, 4, 0),
])
def test_shard_of(update, processes, expected):
    assert shards.shard_of(update, processes, frozenset({ADMIN})) == expected


def test_every_private_user_keeps_one_process_and_all_processes_get_users():
    seen = {shards.shard_of(private(user), 3) for user in range(3000, 3030)}
    assert seen == {0, 1, 2}
    assert all(shards.shard_of(private(u), 3) == shards.shard_of(click(u), 3) for u in range(3000, 3030))


@pytest.mark.parametrize("kind, payload", [(shards.UPDATES, b'[{"update_id": 1}]'), (shards.STOP, b""),
                                           (shards.CONTENT, bytes(range(256)) * 1000)])
def test_frames_round_trip_through_a_stream(kind, payload):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(shards.frame(kind, payload) + shards.frame(shards.READY))
        reader.feed_eof()
        return [await shards.read_frame(reader), await shards.read_frame(reader), await shards.read_frame(reader)]

    assert asyncio.run(go()) == [(kind, payload), (shards.READY, b""), None]


def test_a_frame_cut_short_reads_as_end_of_stream():
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(shards.frame(shards.UPDATES, b"[1, 2, 3]")[:-2])
        reader.feed_eof()
        return await shards.read_frame(reader)

    assert asyncio.run(go()) is None
