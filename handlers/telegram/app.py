"""The Telegram adapter: thin callbacks that turn updates into Inbound, call the pipeline, and send replies.

Private chats: any text is a question. Groups: only commands, @mentions and replies to the bot, answered as
a reply to the asker's message (works with privacy mode on). Everything else is ignored or gets a hint.
"""

from __future__ import annotations

import asyncio
import html
import logging
import warnings
from dataclasses import dataclass

from telegram import (BotCommand, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity,
                      ReplyKeyboardRemove, Update)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes, Defaults, MessageHandler, filters)

from handlers.telegram import admin as telegram_admin
from handlers.telegram import browse
from handlers.core.pipeline import Assistant, Inbound, Pending, Reply
from handlers.settings import Settings
from handlers.core.smalltalk import EXAMPLES, HELP_TEXT
from handlers.telegram.reminders import TICK_SECONDS, seconds_of
from handlers.telegram.render import choice_keyboard, html_parts, reply_keyboard_json
from handlers.telegram.http import AiohttpRequest
from knowledge.normalize import fold
from rules.vocab import default_vocabulary

log = logging.getLogger("zhibu.telegram")
# reply_html sends through Bot.do_api_request on purpose (see there); PTB's advice to use send_message is noise.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.send_message'")

COMMANDS = (("start", "开始使用"), ("help", "我能回答什么"), ("topics", "按类别浏览"), ("steps", "入党流程（25步）"),
            ("check", "检查具体情况"), ("cancel", "退出当前检查"), ("remind", "群提醒（群管理员）"),
            ("term", "记录支委会任期（群管理员）"), ("stats", "使用统计（管理员）"), ("reload", "重新加载知识库（管理员）"),
            ("kb", "知识库版本（管理员）"), ("versions", "版本列表（管理员）"), ("rollback", "回滚版本（管理员）"))
KEYWORDS = {"帮助": "help", "流程": "steps", "检查": "check"}
WELCOME = ("您好，我是支部助手！我可以回答党支部工作的程序性问题（入党、组织设置、三会一课、党费、换届选举等），"
           "也可以帮您核对具体情况，例如人数够不够、哪天转正、党费交多少。\n直接发文字提问即可，或点下面的例子：")
NOT_TEXT_HINT = "我只能看懂文字。请用一句话描述您的问题，例如“预备期从哪天算”。"
APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试。"
ADMINS_ONLY = "这个命令只对管理员开放。"


@dataclass
class Services:
    """What the callbacks need, stored in application.bot_data['zhibu']."""

    assistant: Assistant
    settings: Settings
    querylog: object | None = None
    stats_text: object | None = None  # callable() -> str for /stats
    reminders: object | None = None   # handlers.telegram.reminders.ReminderService
    admin: object | None = None       # handlers.content.admin.ContentAdmin
    watch: bool = False               # ZHIBU_WATCH=1: reload on YAML changes


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["zhibu"]


# -- sending -------------------------------------------------------------------------------------------

async def send_reply(message: Message, reply: Reply, context, quote: bool) -> None:
    """Send a pipeline Reply as HTML parts; the keyboard rides on the last part."""
    parts = html_parts(reply.text)
    markup = reply_keyboard_json(reply, feedback=services(context).querylog is not None)
    if reply.pending is not None:
        markup = _ask_markup(reply.pending, message.chat.type)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await _with_retries(lambda: reply_html(context.bot, message, part, markup if last else None,
                                               quote=quote and i == 0))


async def reply_html(bot, message: Message, text: str, markup=None, *, quote: bool = False) -> dict:
    """sendMessage in the asker's chat (and forum topic), returning Telegram's JSON as it came.

    Message.reply_text would parse the sent Message back into PTB objects, which nobody here reads: that
    parsing was 18% of the event loop's time under load (make bench). Same request, same rate limiter."""
    params = {"chat_id": message.chat_id, "text": text, "parse_mode": ParseMode.HTML}
    if markup is not None:
        params["reply_markup"] = markup
    if quote:
        params["reply_parameters"] = f'{{"message_id":{int(message.message_id)},"allow_sending_without_reply":true}}'
    if message.is_topic_message and message.message_thread_id is not None:
        params["message_thread_id"] = message.message_thread_id
    if message.business_connection_id:
        params["business_connection_id"] = message.business_connection_id
    return await bot.do_api_request("send_message", api_kwargs=params)


SEND_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
FLOOD_WAIT_LIMIT = 120.0  # seconds of Telegram's flood control one answer waits out, beyond the rate limiter's
# PTB's wording for failures below HTTP (no answer from Telegram), as opposed to an error Telegram returned.
TRANSPORT_ERRORS = ("aiohttp.", "httpx.", "Unknown error in HTTP implementation")


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
            if str(exc).startswith(TRANSPORT_ERRORS) or attempts >= len(SEND_RETRY_DELAYS):
                raise  # a broken connection: Telegram may have the message, and a retry could duplicate it
            delay = SEND_RETRY_DELAYS[attempts]
            attempts += 1
            log.warning("send failed (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)


def _ask_markup(pending: Pending, chat_type: str):
    unknown = [n for n in pending.asked if n not in pending.facts]
    facts = default_vocabulary().facts
    if len(unknown) == 1 and unknown[0] in facts and facts[unknown[0]].type in ("bool", "choice"):
        fact = facts[unknown[0]]
        return choice_keyboard(("是", "否") if fact.type == "bool" else fact.choices)
    return ForceReply(selective=True) if chat_type != ChatType.PRIVATE else None


def _offered_store(context) -> dict:
    """Per user: the entry ids last offered in each chat, so a reply of "1" opens the first."""
    return context.user_data.setdefault("offered", {}) if context.user_data is not None else {}


def _pending_store(context, chat_id: int) -> dict:
    return context.user_data.setdefault("pending", {}) if context.user_data is not None else {}


async def answer_text(message: Message, text: str, context, quote: bool) -> None:
    """Run one question through the pipeline (carrying any pending situation check) and reply."""
    svc = services(context)
    offered = _offered_store(context)
    choices = offered.get(message.chat_id, [])
    number = text.strip()
    if number.isascii() and number.isdigit() and 1 <= int(number) <= len(choices):  # "回复数字即可查看"
        reply = svc.assistant.entry_reply(choices[int(number) - 1])
        if reply is not None:
            await send_reply(message, reply, context, quote)
            return
    store = _pending_store(context, message.chat_id)
    inbound = Inbound(text, channel="telegram", chat_id=message.chat_id, chat_type=message.chat.type,
                      user_id=message.from_user.id if message.from_user else None)
    reply = svc.assistant.respond(inbound, store.get(message.chat_id))
    if reply.pending is not None:
        store[message.chat_id] = reply.pending
    else:
        store.pop(message.chat_id, None)
    offered[message.chat_id] = [s.entry_id for s in (reply.suggestions or reply.related)]
    await send_reply(message, reply, context, quote)


# -- commands ------------------------------------------------------------------------------------------

async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rows = [[InlineKeyboardButton(q, callback_data=f"q:{i}")] for i, q in enumerate(EXAMPLES)]
    await update.effective_message.reply_text(html.escape(WELCOME), reply_markup=InlineKeyboardMarkup(rows))


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(html.escape(HELP_TEXT))


async def cmd_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text, markup = browse.categories_view(services(context).assistant.content)
    await update.effective_message.reply_text(html.escape(text), reply_markup=markup)


async def cmd_steps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text, markup = browse.steps_view(services(context).assistant.content, 0)
    await update.effective_message.reply_text(html_parts(text)[0], reply_markup=markup)


async def cmd_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text, markup = browse.check_topics_view()
    await update.effective_message.reply_text(html.escape(text), reply_markup=markup)


async def cmd_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    _pending_store(context, message.chat_id).pop(message.chat_id, None)
    await message.reply_text("已退出检查。可以继续提问。", reply_markup=ReplyKeyboardRemove(selective=True))


async def cmd_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = update.effective_user
    if not svc.settings.is_admin(user.id if user else None):
        await update.effective_message.reply_text(ADMINS_ONLY)
        return
    text = svc.stats_text() if svc.stats_text else "查询日志未启用。"
    for part in html_parts(text):
        await update.effective_message.reply_text(part)


async def cmd_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text("没有这个命令。输入 /help 查看我能做什么。")


FEATURES = {"help": cmd_help, "steps": cmd_steps, "check": cmd_check}


# -- messages ------------------------------------------------------------------------------------------

async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    feature = KEYWORDS.get(fold(message.text).strip())
    if feature:
        await FEATURES[feature](update, context)
        return
    await answer_text(message, message.text, context, quote=False)


def addressed_text(message: Message, bot_id: int, username: str) -> str | None:
    """The question in a group message if it mentions or replies to the bot; None for ordinary chatter."""
    text = message.text or ""
    replied = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == bot_id
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if (entity.type == MessageEntity.MENTION and value.lstrip("@").lower() == username.lower()) or \
                (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id):
            mentioned = True
            text = text.replace(value, " ")
    return text.strip() if (mentioned or replied) else None


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = addressed_text(message, context.bot.id, context.bot.username)
    if text is None:
        return
    feature = KEYWORDS.get(fold(text).strip())
    if feature:
        await FEATURES[feature](update, context)
        return
    await answer_text(message, text, context, quote=True)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, documents in a private chat: a short hint (uploads arrive with admin updates)."""
    message = update.effective_message
    svc = services(context)
    if message.document is not None and svc.settings.is_admin(message.from_user.id):
        await telegram_admin.on_upload(update, context)
        return
    if message.document is not None and svc.admin is not None:
        svc.admin.audit("refused:upload", False, f"chat {message.chat_id}",
                        svc.querylog.hash_user(message.from_user.id) if svc.querylog else None)
    await message.reply_text(NOT_TEXT_HINT)


# -- buttons -------------------------------------------------------------------------------------------

async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    data = query.data or ""
    svc = services(context)
    content = svc.assistant.content
    kind, _, rest = data.partition(":")
    message = query.message
    if kind == "rm" and svc.reminders is not None:
        await query.answer()
        await svc.reminders.on_toggle(update, context, rest)
        return
    if kind in ("pub", "can"):
        await query.answer()
        await telegram_admin.on_publish_button(update, context, kind, rest)
        return
    if kind == "fb":
        sign, _, query_id = rest.partition(":")
        if svc.querylog is not None:
            svc.querylog.feedback(query_id, 1 if sign == "+" else -1)
        await query.answer("谢谢反馈！")
        return
    await query.answer()
    if message is None:
        return
    if kind == "e":
        reply = svc.assistant.entry_reply(rest)
        if reply is None:
            await message.reply_text("这个条目已不存在，请重新提问。")
        else:
            await send_reply(message, reply, context, quote=False)
    elif kind == "q" and rest.isascii() and rest.isdigit() and int(rest) < len(EXAMPLES):
        await answer_text(message, EXAMPLES[int(rest)], context, quote=False)
    elif kind == "c":
        index, _, page = rest.partition(":")
        text, markup = (browse.categories_view(content) if index == "-1"
                        else browse.category_view(content, int(index), int(page or 0)))
        await _edit(message, html.escape(text), markup)
    elif kind == "st":
        text, markup = browse.steps_view(content, int(rest))
        await _edit(message, html_parts(text)[0], markup)
    elif kind == "ck":
        reply = svc.assistant.start_check(rest)
        if reply.pending is not None:
            _pending_store(context, message.chat_id)[message.chat_id] = reply.pending
        await send_reply(message, reply, context, quote=False)


async def _edit(message: Message, text: str, markup) -> None:
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" when a button is pressed twice
        if "not modified" not in str(exc).lower():
            raise


# -- lifecycle -----------------------------------------------------------------------------------------

async def reminder_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every TICK_SECONDS (and once right after start-up, which catches up what was missed)."""
    sent = await services(context).reminders.tick(context.bot)
    if sent:
        log.info("sent %d reminders", sent)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    summary = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error("error while handling an update: %s", summary, exc_info=context.error)
    if isinstance(context.error, TimedOut):
        return  # the reply may well have been delivered: an apology on top would confuse
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
        try:
            await context.bot.send_message(update.effective_chat.id, APOLOGY)
        except Exception:  # the apology must not raise a second error
            log.warning("could not send the apology", exc_info=True)


async def post_init(application: Application) -> None:
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    svc: Services = application.bot_data["zhibu"]
    if svc.admin is not None:
        svc.admin.record_baseline()
        if svc.watch:
            application.create_task(telegram_admin.watch_files(svc.admin, svc.admin.root))
    log.warning("bot @%s started", application.bot.username)


async def post_shutdown(application: Application) -> None:
    svc: Services = application.bot_data["zhibu"]
    if svc.querylog is not None:
        svc.querylog.close()  # flush queued rows on a graceful shutdown


def build_application(svc: Services, polling: bool = True) -> Application:
    """Pure wiring: the Application with its handlers, defaults and rate limiter. `polling=False`: no Updater
    (updates arrive through update_queue from handlers.telegram.workers)."""
    settings = svc.settings
    builder = (ApplicationBuilder().token(settings.token)
               .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
               .rate_limiter(AIORateLimiter(overall_max_rate=settings.rate_per_second,
                                            group_max_rate=settings.group_rate_per_minute, max_retries=3))
               .concurrent_updates(8)
               # aiohttp instead of PTB's httpx transport: the same contract, a third of the cost per request
               .request(AiohttpRequest(connection_pool_size=8, pool_timeout=30))
               .get_updates_request(AiohttpRequest(connection_pool_size=1))
               .post_init(post_init).post_shutdown(post_shutdown))
    if not polling:
        builder = builder.updater(None)
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.api_base_file_url:
        builder = builder.base_file_url(settings.api_base_file_url)
    app = builder.build()
    app.bot_data["zhibu"] = svc
    for name, callback in (("start", cmd_start), ("help", cmd_help), ("topics", cmd_topics), ("steps", cmd_steps),
                           ("check", cmd_check), ("cancel", cmd_cancel), ("stats", cmd_stats)):
        app.add_handler(CommandHandler(name, callback, filters=~filters.UpdateType.EDITED))
    fresh = ~filters.UpdateType.EDITED & ~filters.COMMAND
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & fresh, on_private_text))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.TEXT & fresh, on_group_text))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.UpdateType.EDITED
                                   & (filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO
                                      | filters.VIDEO | filters.Document.ALL | filters.LOCATION | filters.CONTACT),
                                   on_not_text))
    if svc.reminders is not None:
        app.add_handler(CommandHandler("remind", svc.reminders.cmd_remind, filters=~filters.UpdateType.EDITED))
        app.add_handler(CommandHandler("term", svc.reminders.cmd_term, filters=~filters.UpdateType.EDITED))
        app.job_queue.run_repeating(reminder_tick, interval=TICK_SECONDS, first=1, name="reminders")
    if svc.admin is not None:
        for name, callback in (("reload", telegram_admin.cmd_reload), ("kb", telegram_admin.cmd_kb),
                               ("versions", telegram_admin.cmd_versions), ("rollback", telegram_admin.cmd_rollback)):
            app.add_handler(CommandHandler(name, callback, filters=~filters.UpdateType.EDITED))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND & ~filters.UpdateType.EDITED,
                                   cmd_unknown))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app
