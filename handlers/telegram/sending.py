"""Sending replies to Telegram: the services the callbacks share, HTML parts with their keyboards, and the
retries that wait out flood control (429) and Telegram's own 5xx without ever sending a message twice."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import ForceReply, Message, Update
from telegram.constants import ChatType
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    ContextTypes,
)

from handlers.core.conversation import Conversation
from handlers.core.pipeline import Assistant, Pending, Reply
from common.settings import Settings
from handlers.telegram.reminders import seconds_of
from handlers.telegram.render import choice_keyboard, html_parts, reply_keyboard
from rules.vocab import default_vocabulary


log = logging.getLogger("zhibu.telegram")

APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试。"


@dataclass
class Services:
    """What the callbacks need, stored in application.bot_data['zhibu']."""

    assistant: Assistant
    settings: Settings
    querylog: object | None = None
    stats_text: object | None = None  # callable() -> str for /stats
    reminders: object | None = None  # handlers.telegram.reminders.ReminderService
    admin: object | None = None  # handlers.content.admin.ContentAdmin
    watch: bool = False  # ZHIBU_WATCH=1: reload on YAML changes

    def __post_init__(self) -> None:
        self.conversation = Conversation(self.assistant)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["zhibu"]


# -- sending -------------------------------------------------------------------------------------------


async def send_reply(message: Message, reply: Reply, context, quote: bool, mention=None) -> None:
    """Send a pipeline Reply as HTML parts; the keyboard rides on the last part. `mention` (a User): the
    reply opens by naming them, so in a group a form's prompt is addressed to the member who started it
    (and ForceReply(selective) shows its reply field to them only)."""
    parts = html_parts(reply.text)
    if mention is not None:
        parts[0] = f"{mention.mention_html()} {parts[0]}"
    markup = reply_keyboard(reply, feedback=services(context).querylog is not None)
    if reply.pending is not None:
        markup = _ask_markup(reply.pending, message.chat.type, _vocab(context))
    for i, part in enumerate(parts):
        keyboard = markup if i == len(parts) - 1 else None
        await _with_retries(
            lambda part=part, keyboard=keyboard, first=i == 0: message.reply_text(
                part, reply_markup=keyboard, do_quote=quote and first
            )
        )


SEND_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
FLOOD_WAIT_LIMIT = 120.0  # seconds of Telegram's flood control one answer waits out, beyond the rate limiter's


def telegram_answered(exc: NetworkError) -> bool:
    """Whether Telegram itself returned this error (an HTTP status), so the message was not delivered.

    PTB raises a transport failure (no answer: a broken connection, a refused one) `from` the HTTP library's
    exception, and an error status Telegram answered with on its own (or from its JSON parsing error)."""
    return exc.__cause__ is None or isinstance(exc.__cause__, TelegramError)


async def _with_retries(send):
    """Retry a send that Telegram refused, so it was not delivered: a server error (after SEND_RETRY_DELAYS),
    or flood control (after the retry_after Telegram asks for, once the rate limiter's own retries are used
    up, up to FLOOD_WAIT_LIMIT seconds in all: an apology then would meet the same flood control). A timeout
    or a broken connection may have delivered it, so neither is retried: an answer must never arrive twice."""
    attempts, flood_waited = 0, 0.0
    while True:
        try:
            return await send()
        except TimedOut:
            raise
        except RetryAfter as exc:
            wait = seconds_of(exc.retry_after)
            if flood_waited + wait > FLOOD_WAIT_LIMIT:
                raise
            flood_waited += wait
            log.warning("flood control: retrying the send in %.0f s", wait)
            await asyncio.sleep(wait)
        except NetworkError as exc:
            if not telegram_answered(exc) or attempts >= len(SEND_RETRY_DELAYS):
                raise  # a broken connection: Telegram may have the message, and a retry could duplicate it
            delay = SEND_RETRY_DELAYS[attempts]
            attempts += 1
            log.warning("send failed (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)


def _vocab(context):
    """The live content's fact vocabulary (a topic or fact added by YAML shows up without a restart)."""
    engine = services(context).assistant.content.engine
    return engine.vocab if engine is not None else default_vocabulary()


def _ask_markup(pending: Pending, chat_type: str, vocab):
    unknown = [n for n in pending.asked if n not in pending.facts]
    facts = vocab.facts
    if len(unknown) == 1 and unknown[0] in facts and facts[unknown[0]].type in ("bool", "choice"):
        fact = facts[unknown[0]]
        return choice_keyboard(("是", "否") if fact.type == "bool" else fact.choices)
    return ForceReply(selective=True) if chat_type != ChatType.PRIVATE else None


# -- errors ---------------------------------------------------------------------------------------------


def describe(update: object) -> str:
    """What the error log may say about an update: its id, kind and chat type, never who sent it or what
    they wrote (user ids are stored hashed everywhere else; the log must not undo that)."""
    if not isinstance(update, Update):
        return type(update).__name__
    kind = next(
        (
            name
            for name in (
                "message",
                "edited_message",
                "callback_query",
                "channel_post",
                "my_chat_member",
                "chat_member",
                "inline_query",
            )
            if getattr(update, name, None)
        ),
        "other",
    )
    chat = update.effective_chat.type if update.effective_chat else "no chat"
    return f"update {update.update_id} ({kind}, {chat})"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling %s", describe(update), exc_info=context.error)
    if isinstance(context.error, TimedOut):
        return  # the reply may well have been delivered: an apology on top would confuse
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
        try:
            await context.bot.send_message(update.effective_chat.id, APOLOGY)
        except Exception:  # the apology must not raise a second error
            log.warning("could not send the apology", exc_info=True)
