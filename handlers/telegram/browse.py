"""Browsing without typing: /topics (categories -> entries), /steps (the 25 steps, stage by stage), /check topics."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.content.content import Content
from handlers.core.render import entry_text
from handlers.telegram.render import button_label

STAGES = (
    "admission.stage1_application",
    "admission.stage2_activist",
    "admission.stage3_candidate",
    "admission.stage4_admission",
    "admission.stage5_probation",
)
PAGE = 8


def categories_view(content: Content) -> tuple[str, InlineKeyboardMarkup]:
    names = content.kb.categories.names
    present = [c for c in names if any(e.category == c for e in content.kb.entries)]
    rows = [
        [
            InlineKeyboardButton(
                f"{c}（{sum(e.category == c for e in content.kb.entries)}）", callback_data=f"c:{names.index(c)}:0"
            )
        ]
        for c in present
    ]
    return "请选择类别：", InlineKeyboardMarkup(rows)


def category_view(content: Content, index: int, page: int) -> tuple[str, InlineKeyboardMarkup]:
    names = content.kb.categories.names
    if not 0 <= index < len(names):  # a button from before a reload that removed a category
        return categories_view(content)
    category = names[index]
    entries = [e for e in content.kb.entries if e.category == category]
    pages = max(1, -(-len(entries) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [
        [InlineKeyboardButton(button_label(e.title), callback_data=f"e:{e.id}")]
        for e in entries[page * PAGE : (page + 1) * PAGE]
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀ 上一页", callback_data=f"c:{index}:{page - 1}"))
    nav.append(InlineKeyboardButton("« 类别", callback_data="c:-1:0"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("下一页 ▶", callback_data=f"c:{index}:{page + 1}"))
    rows.append(nav)
    return f"{category}（第{page + 1}/{pages}页）：", InlineKeyboardMarkup(rows)


def steps_view(content: Content, stage: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One stage of the admission procedure with previous/next buttons."""
    ids = [s for s in STAGES if s in content.kb.by_id]
    if not ids:
        return "知识库中没有入党流程条目。", None
    stage = min(max(stage, 0), len(ids) - 1)
    text = f"入党流程 第{stage + 1}/{len(ids)}阶段\n" + entry_text(content.kb.by_id[ids[stage]])
    nav = []
    if stage > 0:
        nav.append(InlineKeyboardButton("◀ 上一阶段", callback_data=f"st:{stage - 1}"))
    if stage < len(ids) - 1:
        nav.append(InlineKeyboardButton("下一阶段 ▶", callback_data=f"st:{stage + 1}"))
    return text, InlineKeyboardMarkup([nav]) if nav else None


def check_topics_view(vocab) -> tuple[str, InlineKeyboardMarkup]:
    topics = list(vocab.topic_labels.items())
    rows = [
        [InlineKeyboardButton(label, callback_data=f"ck:{topic}") for topic, label in topics[i : i + 2]]
        for i in range(0, len(topics), 2)
    ]
    return "请选择要检查的事项：", InlineKeyboardMarkup(rows)
