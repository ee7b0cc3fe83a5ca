"""The Telegram adapter: thin callbacks that turn updates into Inbound, call the pipeline, and send replies.

Private chats: any text is a question. Groups: only commands, @mentions and replies to the bot, answered as
a reply to the asker's message (works with privacy mode on). Everything else is ignored or gets a hint.
"""

from __future__ import annotations

import html
import logging
import re

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.request import HTTPXRequest
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from handlers.telegram import admin as telegram_admin
from handlers.telegram import browse
from handlers.core.conversation import State
from handlers.core.pipeline import Inbound
from handlers.core.smalltalk import EXAMPLES, HELP_TEXT
from handlers.telegram.reminders import TICK_SECONDS
from handlers.telegram.render import html_parts
from handlers.telegram.sending import (  # noqa: F401  (APOLOGY and Services are imported from here too)
    APOLOGY,
    Services,
    _vocab,
    _with_retries,
    on_error,
    send_reply,
    services,
)
from handlers.telegram.tolerant import TolerantBot
from knowledge.normalize import fold

log = logging.getLogger("zhibu.telegram")

COMMANDS = (
    ("start", "开始使用"),
    ("help", "我能回答什么"),
    ("topics", "按类别浏览"),
    ("steps", "入党流程（25步）"),
    ("check", "检查具体情况"),
    ("cancel", "退出当前检查"),
    ("remind", "群提醒（群管理员）"),
    ("term", "记录支委会任期（群管理员）"),
    ("stats", "使用统计（管理员）"),
    ("reload", "重新加载知识库（管理员）"),
    ("kb", "知识库版本（管理员）"),
    ("versions", "版本列表（管理员）"),
    ("rollback", "回滚版本（管理员）"),
)
KEYWORDS = {"帮助": "help", "流程": "steps", "检查": "check"}
WELCOME = (
    "您好，我是支部助手！我可以回答党支部工作的程序性问题（入党、组织设置、三会一课、党费、换届选举等），"
    "也可以帮您核对具体情况，例如人数够不够、哪天转正、党费交多少。\n直接发文字提问即可，或点下面的例子："
)
NOT_TEXT_HINT = "我只能看懂文字。请用一句话描述您的问题，例如“预备期从哪天算”。"
# Updates handled at once. Through the local stand-in, 1 costs ~15% less CPU per update than 8 (measured),
# but with Telegram's real round trip (tens to hundreds of ms per send) one at a time would cap the bot at a
# few updates a second, and one flood wait would hold up every chat.
CONCURRENT_UPDATES = 8
ADMINS_ONLY = "这个命令只对管理员开放。"
STATS_PRIVATE_ONLY = "统计里有群成员提过的问题，为保护隐私，请在与我的私聊中使用 /stats。"


def _states(context) -> dict:
    """The conversation States of the user behind this update, one per chat: a conversation is keyed by
    (chat, user), so in a group each member has their own check and their own numbered choices."""
    if context.user_data is None:
        return {}
    return context.user_data.setdefault("conversations", {})


def _state(context, chat_id: int) -> State | None:
    return _states(context).get(chat_id)


def _keep(context, chat_id: int, state: State) -> None:
    states = _states(context)
    if state.pending is None and not state.offered:
        states.pop(chat_id, None)
    else:
        states[chat_id] = state


async def answer_text(message: Message, text: str, context, quote: bool) -> None:
    """Run one message through the conversation core with this (chat, user)'s state, and reply."""
    svc = services(context)
    inbound = Inbound(
        text,
        channel="telegram",
        chat_id=message.chat_id,
        chat_type=message.chat.type,
        user_id=message.from_user.id if message.from_user else None,
    )
    reply, state = svc.conversation.respond(inbound, _state(context, message.chat_id))
    _keep(context, message.chat_id, state)  # before the send: the next message must see it
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
    text, markup = browse.check_topics_view(_vocab(context))
    await update.effective_message.reply_text(html.escape(text), reply_markup=markup)


async def cmd_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    _keep(context, message.chat_id, services(context).conversation.cancel(_state(context, message.chat_id)))
    await message.reply_text("已退出检查。可以继续提问。", reply_markup=ReplyKeyboardRemove(selective=True))


async def cmd_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = update.effective_user
    if not svc.settings.is_admin(user.id if user else None):
        await update.effective_message.reply_text(ADMINS_ONLY)
        return
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(STATS_PRIVATE_ONLY)  # it lists members' own questions
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
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == bot_id
    )
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if (entity.type == MessageEntity.MENTION and value.lstrip("@").lower() == username.lower()) or (
            entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id
        ):
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
        svc.admin.audit(
            "refused:upload",
            False,
            telegram_admin.where(message.chat),
            svc.querylog.hash_user(message.from_user.id) if svc.querylog else None,
        )
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
        await svc.reminders.on_toggle(update, context, rest)  # answers the query itself (a toast if refused)
        return
    if kind in ("pub", "can"):
        await query.answer()
        await telegram_admin.on_publish_button(update, context, kind, rest)
        return
    if kind == "fb":
        sign, _, query_id = rest.partition(":")
        if sign not in "+-" or not sign or not _QUERY_ID.fullmatch(query_id):
            await query.answer()  # hand-made callback data: a quiet no-op, nothing counted
            return
        if svc.querylog is not None:
            svc.querylog.feedback(query_id, 1 if sign == "+" else -1)
        await query.answer("谢谢反馈！")
        return
    await query.answer()
    if message is None:
        return
    if kind == "e":
        user = update.effective_user
        entry = content.kb.by_id.get(rest)
        reply, state = svc.conversation.open_entry(
            rest,
            _state(context, message.chat_id),
            inbound=Inbound(
                entry.title if entry else rest,
                channel="telegram",
                chat_id=message.chat_id,
                chat_type=message.chat.type,
                user_id=user.id if user else None,
            ),
        )  # logged, with 👍/👎
        if reply is None:
            await message.reply_text("这个条目已不存在，请重新提问。")
        else:
            _keep(context, message.chat_id, state)
            await send_reply(message, reply, context, quote=False)
    elif kind == "q" and rest.isascii() and rest.isdigit() and int(rest) < len(EXAMPLES):
        await answer_text(message, EXAMPLES[int(rest)], context, quote=False)
    elif kind == "c":
        index, _, page = rest.partition(":")
        if index != "-1" and not (
            _small_number(index) is not None
            and int(index) < len(content.kb.categories.names)
            and _small_number(page or "0") is not None
        ):
            return  # hand-made callback data (c:abc): a quiet no-op
        text, markup = (
            browse.categories_view(content)
            if index == "-1"
            else browse.category_view(content, int(index), int(page or 0))
        )
        await _edit(message, html.escape(text), markup)
    elif kind == "st":
        if _small_number(rest) is None:
            return  # st:1e3 and the like: a quiet no-op
        text, markup = browse.steps_view(content, int(rest))
        await _edit(message, html_parts(text)[0], markup)
    elif kind == "ck":
        reply, state = svc.conversation.start_check(rest, _state(context, message.chat_id))
        _keep(context, message.chat_id, state)
        mention = query.from_user if message.chat.type != ChatType.PRIVATE else None
        await send_reply(message, reply, context, quote=False, mention=mention)


_QUERY_ID = re.compile(r"[0-9a-f]{32}")  # the query log's ids (uuid4 hex)


def _small_number(text: str) -> int | None:
    """A page or stage number from callback data: ASCII digits only, at most 3 (no '1e3', '٣', '-5')."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None


async def _edit(message: Message, text: str, markup) -> None:
    """Edit a browsing message in place; if Telegram no longer lets the bot edit it (too old, deleted, or
    not the bot's), send the page as a new message instead of failing."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" when a button is pressed twice
        if "not modified" in str(exc).lower():
            return
        log.info("could not edit message %s (%s): sending the page anew", message.message_id, exc)
        await message.reply_text(text, reply_markup=markup)


# -- lifecycle -----------------------------------------------------------------------------------------


async def reminder_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every TICK_SECONDS (and once right after start-up, which catches up what was missed)."""
    sent = await services(context).reminders.tick(context.bot)
    if sent:
        log.info("sent %d reminders", sent)


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


def build_application(svc: Services) -> Application:
    """Pure wiring: one Application with PTB's default transport, its rate limiter and job queue."""
    settings = svc.settings
    urls = {k: v for k, v in (("base_url", settings.api_base_url), ("base_file_url", settings.api_base_file_url)) if v}
    # The bot is made here (not by the builder) to be a TolerantBot: one unparseable update must not stop
    # polling. Its transports are the ones ApplicationBuilder would make.
    bot = TolerantBot(
        settings.token,
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz),
        rate_limiter=AIORateLimiter(
            overall_max_rate=settings.rate_per_second, group_max_rate=settings.group_rate_per_minute, max_retries=3
        ),
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        **urls,
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    app = builder.build()
    app.bot_data["zhibu"] = svc
    for name, callback in (
        ("start", cmd_start),
        ("help", cmd_help),
        ("topics", cmd_topics),
        ("steps", cmd_steps),
        ("check", cmd_check),
        ("cancel", cmd_cancel),
        ("stats", cmd_stats),
    ):
        app.add_handler(CommandHandler(name, callback, filters=~filters.UpdateType.EDITED))
    fresh = ~filters.UpdateType.EDITED & ~filters.COMMAND
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & fresh, on_private_text))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.TEXT & fresh, on_group_text))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE
            & ~filters.TEXT
            & ~filters.UpdateType.EDITED
            & (
                filters.Sticker.ALL
                | filters.PHOTO
                | filters.VOICE
                | filters.AUDIO
                | filters.VIDEO
                | filters.Document.ALL
                | filters.LOCATION
                | filters.CONTACT
                | filters.VIDEO_NOTE
                | filters.Dice.ALL
                | filters.ANIMATION
                | filters.POLL
            ),
            on_not_text,
        )
    )
    if svc.reminders is not None:
        app.add_handler(CommandHandler("remind", svc.reminders.cmd_remind, filters=~filters.UpdateType.EDITED))
        app.add_handler(CommandHandler("term", svc.reminders.cmd_term, filters=~filters.UpdateType.EDITED))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, svc.reminders.on_migrate))
        app.job_queue.run_repeating(reminder_tick, interval=TICK_SECONDS, first=1, name="reminders")
    if svc.admin is not None:
        for name, callback in (
            ("reload", telegram_admin.cmd_reload),
            ("kb", telegram_admin.cmd_kb),
            ("versions", telegram_admin.cmd_versions),
            ("rollback", telegram_admin.cmd_rollback),
        ):
            app.add_handler(CommandHandler(name, callback, filters=~filters.UpdateType.EDITED))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND & ~filters.UpdateType.EDITED, cmd_unknown)
    )
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app
