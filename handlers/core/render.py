"""Plain-text rendering of entries, verdicts and declines (the Telegram layer adds HTML on top)."""

from __future__ import annotations

from knowledge.schema import Entry

OUTCOME_LABELS = {"pass": "✅ 符合", "fail": "❌ 不符合", "warn": "⚠️ 需要注意", "info": "ℹ️ 计算结果"}
LOCAL_NOTE = "ℹ️ 这是地方或基层做法，具体以所在地/上级党组织规定为准。"
DECLINE = "抱歉，这个问题我没有把握回答，不想给您不准确的答案。"
OUT_OF_SCOPE = (
    "我只回答党支部工作的程序性问题（入党程序、组织设置、三会一课、党费、换届选举、"
    "组织关系等）。输入“帮助”查看我能回答什么。"
)


def entry_text(entry: Entry) -> str:
    """Title, answer, numbered steps, caveats and the cited source."""
    lines = [f"【{entry.title}】", entry.answer]
    lines += [f"{i}. {step}" for i, step in enumerate(entry.steps, 1)]
    # An unverified entry shows no caveat of its own: its source line leaves out the article number that could
    # not be checked (common.sources.render), and an unsettled point is stated in its `note`.
    if entry.note:
        lines.append(f"ℹ️ {entry.note}")
    if entry.local_practice and "为准" not in entry.answer:
        lines.append(LOCAL_NOTE)
    lines.append(f"来源：{entry.source}")
    return "\n".join(lines)


def verdict_text(verdict) -> str:
    """One verdict: outcome and message, then why, the arithmetic, the smallest fix and next steps."""
    lines = [f"{OUTCOME_LABELS.get(verdict.outcome, verdict.outcome)}：{verdict.message}"]
    lines += [f"  依据：{reason}" for reason in verdict.reasons]
    lines += [f"  计算：{step}" for step in verdict.arithmetic]
    if verdict.flip:
        lines.append(f"  怎样才能符合：{verdict.flip}")
    if verdict.next_steps:
        lines.append("  下一步：")
        lines += [f"    {i}. {step}" for i, step in enumerate(verdict.next_steps, 1)]
    # Verdicts are shown as entries are: no caveat for being unverified (the source line leaves out the article
    # number that could not be checked); the policy's `note` states an edition or an unsettled point.
    if verdict.note:
        lines.append(f"  ℹ️ {verdict.note}")
    if verdict.local_practice:
        lines.append("  " + LOCAL_NOTE)
    lines.append(f"  来源：{verdict.source}")
    return "\n".join(lines)


def numbered(titles: list[str]) -> str:
    return "\n".join(f"{i}. {title}" for i, title in enumerate(titles, 1))


NOT_IN_KB = "知识库里还没有这一条。"
RELATED_NOT_ANSWER = "以下相关条目可能有帮助（不是这个问题的答案）："


def not_in_kb_text(related_titles: list[str]) -> str:
    """A decline for a question near the knowledge base: say so, and offer the closest entries as related only."""
    if not related_titles:
        return f"{NOT_IN_KB}\n{OUT_OF_SCOPE}"
    return f"{NOT_IN_KB}{RELATED_NOT_ANSWER}\n{numbered(related_titles)}\n回复数字即可查看。"


def choose_text(titles: list[str]) -> str:
    """Two close entries: ask which one is meant (the two-stage fallback)."""
    return f"您问的是：{titles[0]}，还是 {titles[1]}？\n回复数字即可查看：\n{numbered(titles)}"


def clarify_text(topic_titles: list[str], categories: list[str]) -> str:
    """A message too short or vague to answer: ask for detail, offering topics."""
    if topic_titles:
        return f"您想问哪方面？请把问题说得具体一些，或者回复数字查看：\n{numbered(topic_titles)}"
    return "您想问哪方面？请把问题说得具体一些，例如：" + "、".join(categories[:6]) + "。输入“帮助”查看我能回答什么。"


def decline_text(suggestion_titles: list[str], hint: str | None = None) -> str:
    if hint:
        return f"{hint}\n{OUT_OF_SCOPE}"
    if not suggestion_titles:
        return f"{DECLINE}\n{OUT_OF_SCOPE}"
    return f"{DECLINE}您是不是想问：\n{numbered(suggestion_titles)}\n回复数字即可查看。"


def exact_figure_prompt(fact) -> str:
    """The form's question when an amount, count or date was given only roughly (工资5000多, 约50人, 2025年12月)
    and that could change the verdict."""
    if fact.yaml_type == "date":
        return f"您说的{fact.label}只到月份或年份，而具体哪一天会影响结论：请告诉我具体日期（例如2025年12月15日）。"
    return f"您说的{fact.label}是个大概数，而规定按确切数目划线：请告诉我确切的{fact.label}（{fact.unit or '元'}）。"
