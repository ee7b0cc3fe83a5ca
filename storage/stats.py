"""Usage figures for admins (`python bot.py stats`, Telegram `/stats`)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from .timeutil import REPORT_TZ, as_aware, cutoff_iso, sqlite_offset, utc_now

_TOP_POLICIES_SQL = """
select json_extract(v.value, '$.rule_id') as rule_id, count(*) as n
from queries as q, json_each(q.verdicts) as v
where {where} and json_valid(q.verdicts) and v.type = 'object'
  and json_extract(v.value, '$.rule_id') is not null
group by rule_id order by n desc, rule_id limit :top
"""


def stats(
    db: Database,
    days: int | None = None,
    now: datetime | None = None,
    *,
    top: int = 10,
) -> dict[str, Any]:
    """Return the figures for the last `days` days before `now` (all rows when `days` is None).

    Keys: `days`, `since` (UTC ISO or None), `total`, `declined_total`, `per_day` [(date, count)] by Beijing
    date, `top_entries` [(entry_id, count)] of answered queries, `top_policies`
    [(rule_id, count)] from the verdicts, `declined` [(text, count)] of fallback questions,
    `latency_mean_ms`, `latency_p95_ms` (nearest rank; None without data), `feedback_up`, `feedback_down`,
    `feedback_ratio` (up / (up + down), None without votes), `choices_shown` (「您问的是：A，还是 B？」 replies)
    and `choice_picks` [(question → picked entry, count)] (which entry users picked from them). Lists hold at
    most `top` items.
    """
    now = as_aware(now or utc_now())
    since = cutoff_iso(now, days) if days is not None else None
    where = "q.ts >= :since" if since else "1"
    params = {"since": since, "top": top, "offset": sqlite_offset(REPORT_TZ, now)}

    def rows(sql: str) -> list[tuple]:
        return [tuple(r) for r in db.execute(sql.format(where=where), params).fetchall()]

    total, declined_total, latency_n, latency_mean = rows(
        "select count(*), coalesce(sum(q.fallback = 1), 0), count(q.latency_ms), avg(q.latency_ms) "
        "from queries as q where {where}"
    )[0]
    up, down = rows(
        "select coalesce(sum(f.value > 0), 0), coalesce(sum(f.value < 0), 0) from feedback as f "
        + ("where f.ts >= :since" if since else "")
    )[0]
    return {
        "days": days,
        "since": since,
        "total": total,
        "declined_total": declined_total,
        "per_day": rows(
            "select date(q.ts, :offset) as day, count(*) from queries as q where {where} group by day order by day"
        ),
        "top_entries": rows(
            "select q.entry_id, count(*) as n from queries as q where {where} "
            "and q.entry_id is not null and coalesce(q.fallback, 0) = 0 "
            "group by q.entry_id order by n desc, q.entry_id limit :top"
        ),
        "top_policies": rows(_TOP_POLICIES_SQL),
        "declined": rows(
            "select min(q.text) as text, count(*) as n from queries as q where {where} and q.fallback = 1 "
            "group by coalesce(nullif(q.normalized, ''), q.text) order by n desc, text limit :top"
        ),
        "latency_mean_ms": None if latency_mean is None else round(latency_mean, 1),
        "latency_p95_ms": _p95(db, where, params, latency_n),
        "feedback_up": up,
        "feedback_down": down,
        "feedback_ratio": round(up / (up + down), 3) if up + down else None,
        "choices_shown": rows("select count(*) from queries as q where {where} and q.kind = 'choose'")[0][0],
        "choice_picks": [
            (f"{text} → {entry}", n)
            for text, entry, n in rows(
                "select c.text, q.entry_id, count(*) as n from queries as q join queries as c on q.picked_from = c.id "
                "where {where} and c.kind = 'choose' group by c.text, q.entry_id order by n desc, c.text limit :top"
            )
        ],
    }


def _p95(db: Database, where: str, params: dict, n: int) -> float | None:
    """Nearest-rank 95th percentile of `latency_ms`."""
    if not n:
        return None
    sql = (
        f"select q.latency_ms from queries as q where {where} and q.latency_ms is not null "
        "order by q.latency_ms limit 1 offset :rank"
    )
    value = db.execute(sql, {**params, "rank": math.ceil(0.95 * n) - 1}).fetchone()[0]
    return round(value, 1)


def format_stats(d: dict[str, Any]) -> str:
    """Render `stats()` as plain text with Chinese labels (for /stats and the CLI)."""
    if d.get("since"):
        start = datetime.fromisoformat(d["since"]).astimezone(REPORT_TZ)
        period = f"最近 {d['days']} 天（北京时间 {start:%Y-%m-%d %H:%M} 起）"
    else:
        period = "全部记录"
    total, declined = d["total"], d.get("declined_total", 0)
    share = f"（{declined / total:.1%}）" if total else ""
    lines = [f"查询统计：{period}", f"总查询：{total} 次；未能回答：{declined} 次{share}"]
    lines += _section("每日查询（北京时间）", d["per_day"])
    lines += _section("最常命中的条目", d["top_entries"])
    lines += _section("最常触发的政策", d["top_policies"])
    lines += _section("未能回答的问题", d["declined"])
    if d["latency_mean_ms"] is None:
        lines.append("响应时间：无数据")
    else:
        lines.append(f"响应时间：平均 {d['latency_mean_ms']:.1f} 毫秒，P95 {d['latency_p95_ms']:.1f} 毫秒")
    ratio = "无" if d["feedback_ratio"] is None else f"{d['feedback_ratio']:.1%}"
    lines.append(f"反馈：👍 {d['feedback_up']}，👎 {d['feedback_down']}，好评率 {ratio}")
    if d.get("choices_shown"):
        lines.append(f"请用户二选一：{d['choices_shown']} 次")
        lines += _section("用户的选择（问题 → 选中的条目）", d.get("choice_picks") or [])
    return "\n".join(lines)


def _section(title: str, pairs: list[tuple]) -> list[str]:
    if not pairs:
        return [f"{title}：无"]
    return [f"{title}："] + [f"  {label}  {count}" for label, count in pairs]
