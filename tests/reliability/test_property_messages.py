"""Property-based messages: anything a user may type gets a reply, never an exception, and renders safely.

The bulk runs in-process through Assistant.respond (fast); a smaller sample of the same strategy goes through
the real `bot.py run` process and the local Bot API, where every message must get a sendMessage back.
"""

from __future__ import annotations

import html
import re
import time
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from reliability_support import FULL, SIZES, BotProcess, Chat, FakeBotAPI, record, sends, wait_settled
from fake_bot_api import render_html
from handlers.core.pipeline import Assistant, Inbound
from handlers.telegram.app import APOLOGY
from handlers.telegram.render import html_parts, reply_keyboard
from rules.vocab import default_vocabulary
from reliability_strategies import MESSAGES
from storage import QueryLog

TOPIC_LABELS = default_vocabulary().topic_labels

KINDS = {"answer", "situation", "ask", "choose", "clarify", "decline", "smalltalk", "empty", "invalid"}
TODAY = date(2026, 11, 23)
TAG = re.compile(r"<[^>]*>")
PROPERTY_SETTINGS = dict(
    deadline=None,
    database=None,
    derandomize=not FULL,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_reply(reply) -> None:
    """A reply Telegram accepts: known kind, text, HTML parts ≤ 4,096 with only our own <b> tags."""
    assert reply.kind in KINDS, reply.kind
    assert reply.text.strip(), "empty reply text"
    parts = html_parts(reply.text)
    assert parts
    plains = []
    for part in parts:
        assert len(part) <= 4096, f"HTML part of {len(part)} characters"
        tags = TAG.findall(part)
        assert set(tags) <= {"<b>", "</b>"}, f"raw tags in the HTML sent: {sorted(set(tags))[:5]}"
        assert "<b>" not in part or part.startswith("<b>") and part.count("<b>") == 1, part[:200]
        plain = render_html(part)  # Telegram's parser (as in the fake): raises on anything unbalanced
        assert plain.strip(), "a blank message part"
        assert _utf16(plain) <= 4096
        assert plain == html.unescape(TAG.sub("", part))
        plains.append(plain)
    # escaping lost nothing: the parts carry exactly the reply's text (splitting only moves line breaks)
    assert re.sub(r"\s", "", "".join(plains)) == re.sub(r"\s", "", reply.text)
    markup = reply_keyboard(reply)
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            assert button.text and 1 <= len(button.callback_data.encode()) <= 64


def test_random_messages_in_process(content):
    querylog = QueryLog(None)
    assistant = Assistant(content, querylog=querylog, today=lambda: TODAY)
    kinds: Counter = Counter()
    longest = [0]

    @settings(max_examples=SIZES.property_messages, **PROPERTY_SETTINGS)
    @given(MESSAGES)
    @example("党" * 10_000)
    @example("<b>" * 3_334)
    @example("&lt;" + "<" * 9_996)
    @example("\n" * 10_000)
    @example("")
    def answers_anything(text):
        reply = assistant.respond(Inbound(text, channel="telegram", chat_type="private", user_id=1))
        check_reply(reply)
        kinds[reply.kind] += 1
        longest[0] = max(longest[0], len(text))

    started = time.perf_counter()
    answers_anything()
    elapsed = time.perf_counter() - started
    assert querylog.flush(60)
    rows = querylog.db.execute("select count(*) from queries").fetchone()[0]
    querylog.close()
    total = sum(kinds.values())
    assert total >= SIZES.property_messages
    assert rows == total and querylog.dropped == 0  # every exchange logged, whatever the text
    record("property messages in-process", total)
    record("property messages: replies by kind", dict(kinds.most_common()))
    record("property messages: longest message (chars)", longest[0])
    record("property messages in-process: seconds (incl. generation)", round(elapsed, 1))


def test_random_follow_ups_to_a_situation_check(content):
    """Garbage typed while the bot waits for a fact (the guided /check form) never breaks it."""
    assistant = Assistant(content, today=lambda: TODAY)
    pendings = [assistant.respond(Inbound("税后月收入12000元，党费交多少")).pending]  # asks: retired?
    pendings += [assistant.start_check(topic).pending for topic in list(TOPIC_LABELS)[:4]]
    assert all(p is not None for p in pendings)
    count = [0]

    @settings(max_examples=max(100, SIZES.property_messages // 10), **PROPERTY_SETTINGS)
    @given(MESSAGES)
    def follow_up(text):
        for pending in pendings:
            check_reply(assistant.respond(Inbound(text), pending))
            count[0] += 1

    follow_up()
    record("property follow-ups to a pending check", count[0])


def telegram_text(text: str) -> str | None:
    """What Telegram would deliver for a typed text: trimmed, not empty, at most 4,096 UTF-16 units."""
    text = text.strip()
    while _utf16(text) > 4096:
        text = text[: 4096 - (_utf16(text) - 4096) // 2 - 1] if _utf16(text) > 8192 else text[:-1]
    return text.strip() or None


def sample_messages(n: int) -> list[str]:
    """`n` messages drawn from the same strategy (deterministic in the short form)."""
    drawn: list[str] = []

    @settings(max_examples=n, phases=[Phase.generate], **PROPERTY_SETTINGS)
    @given(MESSAGES)
    def draw(text):
        drawn.append(text)

    draw()
    return drawn


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One bot process for this module's tests through the real process (each uses chats of its own)."""
    tmp = tmp_path_factory.mktemp("property")
    with FakeBotAPI() as api:
        bot = BotProcess(api, tmp / "property.db", tmp).start()
        try:
            yield api
        finally:
            bot.stop()


def test_random_messages_through_the_real_process(live):
    """Every message (private chat, or an @mention in a group) gets a sendMessage back: an answer or a polite
    decline, never silence and never the error apology."""
    drawn = sample_messages(SIZES.process_sample * 13 // 10)  # some are blank: Telegram delivers no such message
    texts = [t for t in map(telegram_text, drawn) if t][: SIZES.process_sample]
    assert len(texts) == SIZES.process_sample
    api = live
    chats = []
    since = api.mark()
    started = time.monotonic()
    for i, text in enumerate(texts):
        if i % 10 == 9:  # every tenth one as a question to the bot in a group
            chat = Chat(api, -3_000_000 - i, user_id=3_000_000 + i, chat_type="supergroup")
            chat.say(f"@{api.bot_username} {text}")
        else:
            chat = Chat(api, 3_000_000 + i)
            chat.say(text)
        chats.append(chat.id)

    def unanswered():
        answered = {c.params.get("chat_id") for c in sends(api, since)}
        return [i for i, chat_id in enumerate(chats) if chat_id not in answered]

    if not wait_settled(api, lambda: not unanswered(), timeout=60 + len(texts) * 0.2):
        missing = unanswered()
        raise AssertionError(
            f"{len(missing)} of {len(texts)} messages got no reply, e.g. {[texts[i][:80] for i in missing[:10]]}"
        )
    elapsed = time.monotonic() - started
    replies = sends(api, since)
    apologies = [c.params["chat_id"] for c in replies if c.params.get("text") == APOLOGY]
    assert not apologies, (
        f"{len(apologies)} messages hit an exception, e.g. {[texts[chats.index(c)][:80] for c in apologies[:5]]}"
    )
    failed = [c for c in api.call_log[since:] if c.method == "sendMessage" and not c.ok]
    assert not failed, f"Telegram refused {len(failed)} replies: {failed[:3]}"
    record("property messages through the real process", len(texts))
    record("property messages through the real process: seconds", round(elapsed, 1))


def test_unknown_command_in_a_private_chat_gets_a_reply(live):
    api = live
    for i, command in enumerate(("/foo", "/Start", "/foo@" + api.bot_username, "/remind_me")):
        chat = Chat(api, 3_999_900 + i)
        reply = chat.ask(command, timeout=15)  # updates run concurrently: wait for this chat's own reply
        assert reply["text"] != APOLOGY, command


def test_unicode_digits_are_answered_like_any_other_text(live):
    api = live
    for i, text in enumerate(("①", "²", "①②③", "٣")):
        reply = Chat(api, 3_888_000 + i).ask(text)
        assert reply["text"] != APOLOGY, f"{text!r} raised in the bot"
        group = Chat(api, -3_888_000 - i, user_id=3_888_100 + i, chat_type="supergroup")
        group.ask(f"@{api.bot_username} {text}", timeout=10)
