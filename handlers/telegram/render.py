"""Reply -> Telegram: HTML with every user-supplied string escaped, clean splitting, inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from handlers.core.pipeline import Reply

MAX_MESSAGE = 4096
SAFE_CHUNK = 4000  # escaped length per message, leaving room for the <b> of a title line


def to_html(text: str) -> str:
    """Escape everything; bold a leading 【title】 line."""
    lines = text.split("\n")
    out = [html.escape(line, quote=False) for line in lines]
    if lines and lines[0].startswith("【") and lines[0].endswith("】"):
        out[0] = f"<b>{out[0]}</b>"
    return "\n".join(out)


def split_text(text: str, limit: int = SAFE_CHUNK) -> list[str]:
    """Split plain text on line breaks (or, for one huge line, anywhere) so each escaped part fits."""
    parts, current = [], ""
    for line in text.split("\n"):
        while len(html.escape(line, quote=False)) > limit:
            cut = limit
            while len(html.escape(line[:cut], quote=False)) > limit:
                cut -= 50
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(html.escape(candidate, quote=False)) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def html_parts(text: str) -> list[str]:
    """Plain reply text -> HTML messages, each under Telegram's 4,096-character limit."""
    return [to_html(part) for part in split_text(text)]


def button_label(title: str, limit: int = 30) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


def keyboard_rows(reply: Reply, feedback: bool = True) -> list[list[tuple[str, str]]]:
    """Did-you-mean (top 3), related entries, and 👍/👎, as (label, callback data) rows. Callback data holds
    ids only and must fit Telegram's 64 bytes; a button that would not is left out."""
    rows = [[(f"{i}. {button_label(s.title)}", f"e:{s.entry_id}")] for i, s in enumerate(reply.suggestions[:3], 1)]
    if not reply.suggestions:
        rows += [[(f"相关：{button_label(s.title)}", f"e:{s.entry_id}")] for s in reply.related[:3]]
    if feedback and reply.query_id and reply.kind in ("answer", "situation"):
        rows.append([("👍 有用", f"fb:+:{reply.query_id}"), ("👎 没用", f"fb:-:{reply.query_id}")])
    rows = [[b for b in row if len(b[1].encode()) <= 64] for row in rows]
    return [row for row in rows if row]


def reply_keyboard(reply: Reply, feedback: bool = True) -> InlineKeyboardMarkup | None:
    """keyboard_rows as PTB's InlineKeyboardMarkup."""
    rows = keyboard_rows(reply, feedback)
    return (
        InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])
        if rows
        else None
    )


def choice_keyboard(options: tuple[str, ...]) -> ReplyKeyboardMarkup:
    """Reply buttons for a fact whose answer is a choice (是/否, 村/社区/…)."""
    rows = [list(options[i : i + 3]) for i in range(0, len(options), 3)] + [["/cancel"]]
    return ReplyKeyboardMarkup(rows, one_time_keyboard=True, resize_keyboard=True, selective=True)
