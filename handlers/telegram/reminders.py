"""Group reminders over Telegram: /remind and /term for group admins, and a ticking job that delivers.

Delivery is at-most-once (docs/reminders.md): each occurrence is claimed in SQLite right before its own
send, so a restart or crash never sends it twice; a missed occurrence is caught up once within the grace
window, else recorded as missed. Forbidden disables the chat, ChatMigrated moves it, RetryAfter waits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import html
import logging
from datetime import datetime, timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

import storage
from reminders.commands import local_date, months_until, reminder_id, send_time, term_args, term_reply, time_zone
from reminders.planner import next_send, plan_deliveries
from reminders.schedule import TERM_REMINDER_ID, render_text, resolve_tz

log = logging.getLogger("zhibu.reminders")

TICK_SECONDS = 30
SEND_CONCURRENCY = 8
SEND_ATTEMPTS = 4
BUSY = "暂时无法保存设置（数据库繁忙），请稍后再试。"
REFUSAL = "只有本群管理员可以设置提醒，请联系群管理员操作。"
USAGE = (
    "用法：\n/remind 或 /remind list — 查看全部提醒\n/remind on 提醒ID [HH:MM] — 订阅\n/remind off 提醒ID — 退订\n"
    "/remind test 提醒ID — 立即发送一次试看\n/remind tz 时区 — 设置本群时区（如 Asia/Shanghai）\n"
    "/term YYYY-MM-DD [村|社区|机关|企业|学校] [支部|总支|党委] — 记录本届委员会任期开始日期"
)


class ReminderService:
    """Subscriptions, the delivery tick and the group commands, sharing one SQLite connection."""

    def __init__(self, db, assistant, settings, grace: timedelta, clock=lambda: datetime.now(timezone.utc)):
        self.db = db
        self.assistant = assistant
        self.settings = settings
        self.grace = grace
        self.clock = clock
        self.last_tick: datetime | None = None
        self._tick_lock = asyncio.Lock()

    @property
    def reminders(self):
        return self.assistant.content.reminders

    # -- delivery --------------------------------------------------------------------------------------

    async def tick(self, bot) -> int:
        """Plan every due occurrence since the last tick (start-up: the look-back window) and deliver it."""
        if self.reminders is None or self._tick_lock.locked():
            return 0
        async with self._tick_lock:
            now = self.clock()
            if self.last_tick is None:
                for stale in storage.recover_stale(self.db, now=now):
                    log.warning(
                        "reminder %s for chat %s may not have been sent (crash during send)",
                        stale.reminder_id,
                        stale.chat_id,
                    )
            plan = plan_deliveries(
                self.reminders,
                storage.subscriptions(self.db),
                _Defaulted(self),
                now=now,
                since=self.last_tick,
                grace=self.grace,
            )
            self.last_tick = now
            gate = asyncio.Semaphore(SEND_CONCURRENCY)
            results = await asyncio.gather(*(self._deliver(bot, d, gate) for d in plan))
            return sum(results)

    async def _deliver(self, bot, delivery, gate) -> int:
        if delivery.missed:
            storage.mark_missed(
                self.db, delivery.chat_id, delivery.reminder_id, delivery.due_at, event_key=delivery.event_key
            )
            return 0
        async with gate:
            if not storage.claim(
                self.db, delivery.chat_id, delivery.reminder_id, delivery.due_at, event_key=delivery.event_key
            ):
                return 0  # already sent (or claimed) by an earlier tick or process
            text = ("【补发】" if delivery.catch_up else "") + delivery.text
            return await self._send(
                bot, delivery.chat_id, delivery.reminder_id, delivery.due_at, text, delivery.event_key
            )

    async def _send(
        self, bot, chat_id: int, reminder_id: str, due_at: datetime, text: str, event_key: str | None = None
    ) -> int:
        for _attempt in range(SEND_ATTEMPTS):
            try:
                message = await bot.send_message(chat_id, html.escape(text))
                storage.mark_sent(self.db, chat_id, reminder_id, due_at, message.message_id)
                return 1
            except RetryAfter as exc:
                await asyncio.sleep(seconds_of(exc.retry_after))
            except ChatMigrated as exc:
                log.warning("chat %s migrated to %s: moving its reminders", chat_id, exc.new_chat_id)
                # Claim the occurrence under the new id first: if the new chat was subscribed too (its admin
                # subscribed again after the upgrade), it has its own claim and this send would be a second.
                first = storage.claim(self.db, exc.new_chat_id, reminder_id, due_at, event_key=event_key)
                storage.migrate_chat(self.db, chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
                if not first:
                    return 0
            except Forbidden as exc:
                log.warning("bot removed or blocked in chat %s: disabling its reminders (%s)", chat_id, exc)
                storage.disable_chat(self.db, chat_id, f"forbidden: {exc}")
                storage.mark_failed(self.db, chat_id, reminder_id, due_at, str(exc))
                return 0
            except (NetworkError, TelegramError) as exc:
                # A timeout may have delivered the message: never resend it (at-most-once).
                log.warning("reminder %s to chat %s failed: %s", reminder_id, chat_id, exc)
                storage.mark_failed(self.db, chat_id, reminder_id, due_at, str(exc))
                return 0
        storage.mark_failed(self.db, chat_id, reminder_id, due_at, "rate limited too long")
        return 0

    async def on_migrate(self, update: Update, context) -> None:
        """A group became a supergroup: Telegram posts migrate_to_chat_id in the old chat and
        migrate_from_chat_id in the new one. Move subscriptions, settings and history at once (both service
        messages may arrive; the move is idempotent), so the new chat keeps them and nothing is sent twice."""
        message = update.effective_message
        if message.migrate_to_chat_id:
            old, new = message.chat_id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat_id
        else:
            return
        try:
            moved = storage.migrate_chat(self.db, old, new)
        except sqlite3.Error:
            log.exception("could not move the reminders of chat %s to %s", old, new)
            return
        if any(moved.values()):
            log.warning("chat %s became %s: moved its reminders %s", old, new, moved)

    def chat_settings(self, chat_id: int):
        """The chat's settings, its zone defaulting to ZHIBU_TZ."""
        return _with_default_tz(storage.chat_settings(self.db, chat_id), self.settings.tz)

    # -- commands --------------------------------------------------------------------------------------

    async def allowed(self, update: Update, context) -> bool:
        """Group admins (getChatMember; an anonymous admin posts as the group itself) and bot admins; anyone
        in their own private chat."""
        chat, user = update.effective_chat, update.effective_user
        message = update.message
        if (
            message is not None
            and message.sender_chat is not None
            and chat is not None
            and message.sender_chat.id == chat.id
        ):
            return True  # GroupAnonymousBot with sender_chat = this group: only its admins can post so
        if user is None:
            return False
        if chat.type == ChatType.PRIVATE or self.settings.is_admin(user.id):
            return True
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError:
            return False
        return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

    def list_view(self, chat_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
        reminders = self.reminders
        if reminders is None:
            return "没有配置提醒。", None
        subs = {s.reminder_id: s for s in storage.subscriptions(self.db, chat_id)}
        settings = self.chat_settings(chat_id)
        tz = resolve_tz(settings.tz)
        lines, rows = ["本群提醒（点按钮订阅或退订）："], []
        for rid in reminders.ids:
            definition = reminders.get(rid)
            sub = subs.get(rid)
            status = "已订阅" if sub else "未订阅"
            occ = next_send(
                reminders, rid, settings, self.clock(), sub.send_time if sub else None, sub.tz if sub else None
            )
            when = occ.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if occ else "需先用 /term 设置任期"
            lines.append(f"{'✅' if sub else '⬜'} {rid} {definition.title}：{status}，下次 {when}")
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{'退订' if sub else '订阅'} {definition.title}"[:30],
                        callback_data=f"rm:{'off' if sub else 'on'}:{rid}",
                    )
                ]
            )
        return "\n".join(lines), InlineKeyboardMarkup(rows)

    async def cmd_remind(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._cmd_remind(update, context)
        except sqlite3.OperationalError:
            await update.effective_message.reply_text(BUSY)

    async def _cmd_remind(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, args = update.effective_message, list(context.args or [])
        if not await self.allowed(update, context):
            await message.reply_text(REFUSAL)
            return
        action = reminder_id(args[0]) if args else "list"
        chat_id = message.chat_id
        try:
            text, markup = self._command(action, args[1:], chat_id)
        except ValueError as exc:
            text, markup = f"{exc}\n\n{USAGE}", None
        if action == "test" and markup == "send":
            await message.reply_text(html.escape(text))
            return
        await message.reply_text(html.escape(text), reply_markup=markup)

    def _command(self, action: str, args: list[str], chat_id: int):
        reminders = self.reminders
        if action == "list":
            return self.list_view(chat_id)
        if action == "tz":
            if not args:
                raise ValueError("请给出时区，例如 /remind tz Asia/Shanghai")
            zone = time_zone(args[0])
            storage.set_chat_tz(self.db, chat_id, str(zone))
            return f"本群提醒时区已设为 {zone}。", None
        if action not in ("on", "off", "test") or not args:
            raise ValueError("没有这个操作。")
        rid = reminder_id(args[0])
        if reminders is None or reminders.get(rid) is None:
            raise ValueError(f"没有提醒“{rid}”。可用的提醒：{'、'.join(reminders.ids) if reminders else '无'}")
        if action == "on":
            at = send_time(args[1]) if len(args) > 1 else None
            if rid == TERM_REMINDER_ID and storage.chat_settings(self.db, chat_id).term_start is None:
                raise ValueError("换届提醒需要先用 /term 设置本届任期开始日期。")
            storage.subscribe(self.db, chat_id, rid, at)
            title = reminders.get(rid).title
            return f"已订阅“{title}”" + (f"，每次 {at.strftime('%H:%M')} 发送。" if at else "。"), None
        if action == "off":
            changed = storage.unsubscribe(self.db, chat_id, rid)
            return ("已退订。" if changed else "本群没有订阅这个提醒。"), None
        settings, now = self.chat_settings(chat_id), self.clock()
        occ = next_send(reminders, rid, settings, now)
        if occ is None:
            raise ValueError("这个提醒还不能试发（换届提醒需要先用 /term 设置任期）。")
        if occ.months_before is not None:  # 距今约N个月 counts from today, not from the next send
            today = local_date(now, resolve_tz(settings.tz if settings else None))
            occ = dataclasses.replace(occ, months_before=months_until(today, occ.event_date))
        return "【测试】" + render_text(reminders.get(rid), occ), "send"

    async def cmd_term(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._cmd_term(update, context)
        except sqlite3.OperationalError:
            await update.effective_message.reply_text(BUSY)

    async def _cmd_term(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if not await self.allowed(update, context):
            await message.reply_text(REFUSAL)
            return
        term = self.reminders.term if self.reminders is not None else None
        if term is None:
            await message.reply_text("没有配置换届提醒（knowledge/reminders.yaml 的 term_end），请联系管理员。")
            return
        try:
            start, org_type, level = term_args(list(context.args or []), term)
        except ValueError as exc:
            await message.reply_text(html.escape(str(exc)))
            return
        storage.set_term(self.db, message.chat_id, start, org_type, level)
        storage.subscribe(self.db, message.chat_id, TERM_REMINDER_ID)
        await message.reply_text(html.escape(term_reply(term, start, org_type, level)))

    async def on_toggle(self, update: Update, context, rest: str) -> None:
        try:
            await self._on_toggle(update, context, rest)
        except sqlite3.OperationalError:
            await update.callback_query.message.reply_text(BUSY)

    async def _on_toggle(self, update: Update, context, rest: str) -> None:
        query = update.callback_query
        if not await self.allowed(update, context):
            await query.answer(REFUSAL, show_alert=True)  # to the presser only, not into the group
            return
        await query.answer()
        action, _, rid = rest.partition(":")
        try:
            self._command(action, [rid], query.message.chat_id)
        except ValueError as exc:
            await query.message.reply_text(html.escape(str(exc)))
            return
        text, markup = self.list_view(query.message.chat_id)
        await query.message.edit_text(html.escape(text), reply_markup=markup)


def _with_default_tz(chat, tz) -> object:
    return chat if chat is None or chat.tz else dataclasses.replace(chat, tz=str(tz))


class _Defaulted(dict):
    """All chats' settings, each zone defaulting to ZHIBU_TZ (the planner calls .get(chat_id))."""

    def __init__(self, service: ReminderService):
        super().__init__(storage.all_chat_settings(service.db))
        self.tz = service.settings.tz

    def get(self, chat_id, default=None):
        chat = super().get(chat_id)
        if chat is None:
            return storage.ChatSettings(chat_id, tz=str(self.tz))
        return _with_default_tz(chat, self.tz)


def seconds_of(value) -> float:
    """A duration PTB gives as an int or a timedelta (RetryAfter.retry_after, by PTB version and settings)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
