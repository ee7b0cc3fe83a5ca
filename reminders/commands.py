"""The arguments of /remind and /term as group admins type them, with errors in Chinese.

A Chinese IME types full-width digits and colons (０８：３０, ２０２４－０３－１５); they are folded (NFKC) before
parsing. Reminder ids are ASCII lower case in the YAML, so an id is matched case-insensitively. The parsers
in reminders.schedule stay English: the YAML loader reports with them to whoever edits the files.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from reminders.schedule import (
    DEFAULT_TZ_NAME,
    OTHER_ORG_TYPE,
    TermReminder,
    add_months,
    chinese_date,
    parse_hhmm,
    parse_tz,
    term_end,
)

_DATE = re.compile(r"^(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})\s*日?$")


def fold(text: str) -> str:
    """Full-width digits, letters, colons and dashes to ASCII; surrounding space removed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def reminder_id(text: str) -> str:
    """A reminder id as typed (THEME_DAY, ｔｈｅｍｅ_ｄａｙ) → the YAML's lower-case id."""
    return fold(text).lower()


def send_time(text: str) -> time:
    """'08:30', '８：３０', '8点30' → time; ValueError in Chinese."""
    folded = fold(text).replace("点", ":").replace("時", ":").replace("时", ":").rstrip("分")
    if folded.endswith(":"):
        folded += "00"
    try:
        return parse_hhmm(folded)
    except ValueError:
        raise ValueError(f"没能识别时间“{text}”：请写成 时:分，例如 08:30（00:00–23:59）。") from None


def time_zone(text: str):
    try:
        return parse_tz(fold(text))
    except ValueError:
        raise ValueError(f"没有时区“{text}”：请写 IANA 时区名，例如 {DEFAULT_TZ_NAME}。") from None


def term_usage(term: TermReminder) -> str:
    """用法：/term YYYY-MM-DD [村|社区|…] [支部|总支|党委] from the YAML's types and levels."""
    types = [t for t in term.org_types if t != OTHER_ORG_TYPE]
    return (
        f"用法：/term YYYY-MM-DD [{'|'.join(types)}] [{'|'.join(term.levels)}]，"
        f"例如 /term 2024-03-15 村 支部 或 /term 2022-06-01 机关 党委"
    )


def term_args(args: list[str] | tuple[str, ...], term: TermReminder) -> tuple[date, str | None, str | None]:
    """`/term` arguments → (term start, org type or None, level or None); ValueError with a Chinese reason.

    After the date come an organization type and a level from `term` (the YAML's term_end), in any order,
    separately or as one word (机关党委)."""
    usage = term_usage(term)
    if not args:
        raise ValueError(f"请给出本届任期开始日期。{usage}")
    text = fold(args[0])
    match = _DATE.match(text)
    if not match:
        raise ValueError(f"没能识别日期“{args[0]}”。{usage}")
    try:
        start = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(
            f"日期“{args[0]}”不存在（{int(match.group(2))}月没有{int(match.group(3))}日）。{usage}"
        ) from None
    if not 1990 <= start.year <= 2100:
        raise ValueError(f"任期开始日期应在1990年到2100年之间，收到的是{start.year}年。")
    org_type = level = None
    for arg in args[1:]:
        for word in _words(fold(arg), arg, term):
            if word in term.levels:
                if level not in (None, word):
                    raise ValueError(f"组织层级只能写一个，收到了“{level}”和“{word}”。{usage}")
                level = word
            else:
                if org_type not in (None, word):
                    raise ValueError(f"单位类型只能写一个，收到了“{org_type}”和“{word}”。{usage}")
                org_type = word
    return start, org_type, level


def _words(text: str, typed: str, term: TermReminder) -> list[str]:
    """机关党委 → [机关, 党委]: split one argument into the YAML's type and level names; ValueError if unknown."""
    names = sorted([*term.org_types, *term.levels], key=len, reverse=True)
    words = []
    while text:
        name = next((n for n in names if text.startswith(n)), None)
        if name is None:
            types = "、".join(t for t in term.org_types if t != OTHER_ORG_TYPE)
            raise ValueError(
                f"没有单位类型或组织层级“{typed}”，单位类型可选：{types}；组织层级可选："
                f"{'、'.join(term.levels)}。{term_usage(term)}"
            )
        words.append(name)
        text = text[len(name) :].strip()
    return words


def term_reply(term: TermReminder, start: date, org_type: str | None, level: str | None) -> str:
    """/term's 已记录 reply: the term length and end for the type and level, and the assumed level when none
    was given (a 总支 or 党委 that leaves it out would otherwise be reminded at the 支部's 3 years)."""
    years = term.term_years(org_type, level)
    assumed = level or term.default_level
    text = (
        f"已记录：{term.organization(level)}（{org_type or ''}{assumed}）本届任期自{chinese_date(start)}起，"
        f"每届{years}年，将于{chinese_date(term_end(start, years))}届满。"
        f"届满前{'、'.join(f'{m}个月' for m in term.months_before)}会提醒换届。"
    )
    if level is None:
        others = [lv for lv in term.levels if lv != assumed]
        text += (
            f"\n未写组织层级，已按{assumed}计算；如是{'或'.join(others)}，请带上层级重新设置，"
            f"例如 /term {' '.join(filter(None, (start.isoformat(), org_type, others[-1] if others else None)))}。"
        )
    return text


def months_until(today: date, end: date) -> int:
    """Whole months from `today` to `end`, rounded to the nearest (for 距今约N个月), at least 0."""
    if end <= today:
        return 0
    months = (end.year - today.year) * 12 + end.month - today.month
    if add_months(today, months) > end:
        months -= 1
    rest = (end - add_months(today, months)).days
    return months + (1 if rest >= 15 else 0)


def local_date(now: datetime, tz) -> date:
    return now.astimezone(tz).date()
