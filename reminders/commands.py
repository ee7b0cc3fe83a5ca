"""The arguments of /remind and /term as group admins type them, with errors in Chinese.

A Chinese IME types full-width digits and colons (０８：３０, ２０２４－０３－１５); they are folded (NFKC) before
parsing. Reminder ids are ASCII lower case in the YAML, so an id is matched case-insensitively. The parsers
in reminders.schedule stay English: the YAML loader reports with them to whoever edits the files.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from reminders.schedule import DEFAULT_TZ_NAME, TERM_YEARS, add_months, parse_hhmm, parse_tz

TERM_USAGE = f"用法：/term YYYY-MM-DD [{'|'.join(TERM_YEARS)}]，例如 /term 2024-03-15 村"
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


def term_args(args: list[str] | tuple[str, ...]) -> tuple[date, str | None]:
    """`/term` arguments → (term start, org type or None); ValueError with a Chinese reason and the usage."""
    if not 1 <= len(args) <= 2:
        raise ValueError(f"请给出本届任期开始日期。{TERM_USAGE}")
    text = fold(args[0])
    match = _DATE.match(text)
    if not match:
        raise ValueError(f"没能识别日期“{args[0]}”。{TERM_USAGE}")
    try:
        start = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"日期“{args[0]}”不存在（{int(match.group(2))}月没有{int(match.group(3))}日）。{TERM_USAGE}") from None
    if not 1990 <= start.year <= 2100:
        raise ValueError(f"任期开始日期应在1990年到2100年之间，收到的是{start.year}年。")
    org_type = fold(args[1]) if len(args) == 2 else None
    if org_type and org_type not in TERM_YEARS:
        raise ValueError(f"没有单位类型“{args[1]}”，可选：{'、'.join(TERM_YEARS)}。{TERM_USAGE}")
    return start, org_type or None


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
