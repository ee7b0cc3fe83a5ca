"""Admin updates in Telegram: /reload, YAML upload with replay and 发布/取消, /versions, /rollback, /kb,
/kb file NAME (download a current YAML file to edit and upload back).

Every action checks ZHIBU_ADMIN_IDS and is written to the audit table, refusals included. The work itself
is handlers/content/admin.py: the running version stays live until a candidate passes every check.
"""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from handlers.content.admin import (
    MAX_UPLOAD,
    Candidate,
    ContentAdmin,
    StaleCandidate,
    UploadRefused,
    read_tree,
    target_for,
)
from handlers.telegram.render import html_parts

log = logging.getLogger("zhibu.admin")

REFUSED = "抱歉，这个操作只对管理员开放。"
MAX_LISTED = 30


async def _off_loop(fn, *args):
    """Validation and reloads are CPU work: run them in a thread so answers keep flowing meanwhile."""
    return await asyncio.to_thread(fn, *args)


def _svc(context):
    return context.application.bot_data["zhibu"]


def _admin_hash(svc, user_id):
    return svc.querylog.hash_user(user_id) if svc.querylog is not None else None


def where(chat) -> str:
    """Where a refused action came from, for the audit: a private chat's id is the user's Telegram id, which
    is stored only hashed (in the audit's admin column), so it is not written here."""
    if chat is None:
        return "chat ?"
    return "private chat" if chat.type == ChatType.PRIVATE else f"{chat.type} chat {chat.id}"


async def _send(message, text: str, markup=None) -> None:
    parts = html_parts(text)
    for i, part in enumerate(parts):
        await message.reply_text(part, reply_markup=markup if i == len(parts) - 1 else None)


async def _authorized(update: Update, context, action: str) -> bool:
    svc = _svc(context)
    user = update.effective_user
    if user is not None and svc.settings.is_admin(user.id):
        return True
    svc.admin.audit(
        f"refused:{action}", False, where(update.effective_chat), _admin_hash(svc, user.id if user else None)
    )
    target = update.effective_message or (update.callback_query.message if update.callback_query else None)
    if target is not None:
        await target.reply_text(REFUSED)
    return False


def problems_text(candidate: Candidate, heading: str) -> str:
    lines = [heading] + [str(p) for p in candidate.errors[:MAX_LISTED]]
    if len(candidate.errors) > MAX_LISTED:
        lines.append(f"……另有 {len(candidate.errors) - MAX_LISTED} 个错误")
    return "\n".join(lines)


def warnings_text(candidate: Candidate) -> list[str]:
    if not candidate.warnings:
        return []
    shown = [f"  {p}" for p in candidate.warnings[:5]]
    more = [f"  ……共 {len(candidate.warnings)} 条提示"] if len(candidate.warnings) > 5 else []
    return ["提示（不影响发布）："] + shown + more


async def cmd_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _authorized(update, context, "reload"):
        return
    svc = _svc(context)
    candidate = await _off_loop(svc.admin.reload, _admin_hash(svc, update.effective_user.id))
    if not candidate.ok:
        await _send(update.effective_message, problems_text(candidate, "重新加载失败，仍在使用原来的版本：") + "")
        return
    text = "\n".join(["已重新加载（新版本已生效）：", *candidate.diff, *warnings_text(candidate)])
    await _send(update.effective_message, text)


async def cmd_kb(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _authorized(update, context, "kb"):
        return
    args = list(context.args or [])
    if args and args[0] == "file":
        await _send_file(update, context, args[1] if len(args) > 1 else "")
        return
    content = _svc(context).assistant.content
    reminders = len(content.reminders.ids) if content.reminders else 0
    await _send(
        update.effective_message,
        f"当前版本：{content.version}\n条目 {len(content.kb.entries)} 个，政策 {content.policy_count} 条，"
        f"提醒 {reminders} 个\n加载时间：{content.loaded_at:%Y-%m-%d %H:%M:%S} UTC",
    )


async def _send_file(update: Update, context, name: str) -> None:
    """`/kb file dues.yaml`: the current file as a document, to edit and upload back; without a name, the list."""
    svc = _svc(context)
    files = await _off_loop(read_tree, svc.admin.root)
    matches = [rel for rel in files if rel == name or rel.rsplit("/", 1)[-1] == name] if name else []
    if len(matches) > 1:
        await _send(
            update.effective_message,
            f"有{len(matches)}个同名文件，请写上目录：" + "、".join(f"/kb file {rel}" for rel in matches),
        )
        return
    if not matches:
        listed = "\n".join(f"· {rel}" for rel in files)
        head = f"没有找到文件“{html.escape(name)}”。" if name else "请指定文件名，例如 /kb file rules/dues.yaml。"
        await _send(update.effective_message, f"{head}\n可下载的文件：\n{listed}")
        return
    rel = matches[0]
    svc.admin.audit("download", True, rel, _admin_hash(svc, update.effective_user.id))
    await update.effective_message.reply_document(
        document=files[rel], filename=rel.rsplit("/", 1)[-1], caption=f"{rel}（当前版本）：修改后直接发回即可上传"
    )


async def cmd_versions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _authorized(update, context, "versions"):
        return
    svc = _svc(context)
    versions = svc.admin.versions(15)
    if not versions:
        await update.effective_message.reply_text("还没有记录的版本。")
        return
    lines = ["版本（最新在前，/rollback 版本号 可回滚）："]
    lines += [f"{v.id}. {v.ts[:16].replace('T', ' ')} {v.action} {v.digest} {v.summary[:60]}" for v in versions]
    await _send(update.effective_message, "\n".join(lines))


async def cmd_rollback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _authorized(update, context, "rollback"):
        return
    svc = _svc(context)
    args = context.args or []
    if len(args) > 1 or (args and not (args[0].isascii() and args[0].isdigit())):
        await update.effective_message.reply_text("用法：/rollback [版本号]（不写则回到上一个版本）")
        return
    candidate, label = await _off_loop(
        svc.admin.rollback, int(args[0]) if args else None, _admin_hash(svc, update.effective_user.id)
    )
    if candidate is None:
        await update.effective_message.reply_text(label)
    elif not candidate.ok:
        await _send(update.effective_message, problems_text(candidate, f"{label}无法恢复（校验未通过）："))
    else:
        await _send(update.effective_message, "\n".join([f"已回滚到{label}：", *candidate.diff]))


async def on_upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin sends a .yaml file in a private chat: validate, replay, then offer 发布 / 取消."""
    message = update.effective_message
    if message.chat.type != ChatType.PRIVATE:
        return
    if not await _authorized(update, context, "upload"):
        return
    svc = _svc(context)
    document = message.document
    name = document.file_name or "upload.yaml"
    admin = _admin_hash(svc, update.effective_user.id)
    if (document.file_size or 0) > MAX_UPLOAD:
        svc.admin.audit("upload", False, f"{name}: {document.file_size} bytes", admin)
        await message.reply_text(f"文件 {html.escape(name)} 超过 1 MB，未处理。请拆分成多个文件。")
        return
    if not name.lower().endswith((".yaml", ".yml")):
        await message.reply_text("请上传 .yaml 文件（知识条目、政策或提醒）。")
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if len(data) > MAX_UPLOAD:
        svc.admin.audit("upload", False, f"{name}: {len(data)} bytes", admin)
        await message.reply_text("文件超过 1 MB，未处理。")
        return
    try:
        target = target_for(name, data, svc.admin.root)
    except UploadRefused as exc:
        svc.admin.audit("upload", False, f"{name}: {exc}", admin)
        await message.reply_text(html.escape(str(exc)))
        return
    candidate = await _off_loop(svc.admin.candidate, {target: data})
    svc.admin.audit(
        "upload",
        candidate.ok,
        f"{target}: " + ("；".join(candidate.diff) if candidate.ok else f"{len(candidate.errors)} errors"),
        admin,
    )
    if not candidate.ok:
        await _send(message, problems_text(candidate, f"{name} 校验未通过，未发布（当前版本不受影响）："))
        return
    context.application.bot_data.setdefault("uploads", {})[candidate.token] = candidate
    lines = [
        f"{name} → {target} 校验通过：",
        *candidate.diff,
        *warnings_text(candidate),
        f"用最近 {candidate.replayed} 个真实问题回放：{len(candidate.changes)} 个的答案会变化",
    ]
    lines += [f"  · {c.question[:40]}：{c.before} → {c.after}" for c in candidate.changes[:10]]
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("发布", callback_data=f"pub:{candidate.token}"),
                InlineKeyboardButton("取消", callback_data=f"can:{candidate.token}"),
            ]
        ]
    )
    await _send(message, "\n".join(lines), markup)


async def on_publish_button(update: Update, context, kind: str, token: str) -> None:
    query = update.callback_query
    if not await _authorized(update, context, "publish" if kind == "pub" else "cancel"):
        return
    svc = _svc(context)
    candidate = context.application.bot_data.setdefault("uploads", {}).pop(token, None)
    admin = _admin_hash(svc, update.effective_user.id)
    if candidate is None:
        await query.message.reply_text("这个上传已处理过或已过期，请重新上传。")
        return
    if kind == "can":
        candidate.content.close()
        svc.admin.audit("cancel", True, token, admin)
        await query.message.edit_text("已取消，未发布。")
        return
    try:
        await _off_loop(svc.admin.publish, candidate, admin)
    except StaleCandidate as exc:
        candidate.content.close()
        await query.message.edit_text(html.escape(str(exc)))
        return
    await query.message.edit_text(html.escape("已发布，新版本已生效：\n" + "\n".join(candidate.diff)))


async def watch_files(admin: ContentAdmin, root: Path) -> None:
    """ZHIBU_WATCH=1: reload through the same validation path whenever a YAML file changes."""
    from watchfiles import awatch

    async for changes in awatch(root / "knowledge", root / "rules"):
        if not any(str(path).endswith((".yaml", ".yml")) for _, path in changes):
            continue
        try:
            candidate = await _off_loop(admin.reload)
        except Exception:  # noqa: BLE001  (one bad save must not end the watcher: the next one must reload)
            log.exception("watcher: reload failed, old version stays live")
            continue
        if candidate.ok:
            log.warning("watcher: reloaded: %s", "；".join(candidate.diff))
        else:
            log.warning(
                "watcher: reload refused, old version stays live:\n%s", "\n".join(str(p) for p in candidate.errors[:20])
            )
