"""A burst of updates from 500 users pushed at once: every one answered, and the query log loses nothing."""

from __future__ import annotations

import time
from collections import Counter

from handlers.telegram.app import APOLOGY
from reliability_support import SIZES, count_rows, record, sends, wait_until

# Each goes through the pipeline (no 帮助/流程/检查 keyword) and is answered in one message.
QUESTIONS = (
    "入党要几个介绍人",
    "预备期从哪天开始算",
    "党费怎么交",
    "支委会多久开一次",
    "今天天气怎么样",
    "我们公司只有2名正式党员，能单独成立支部吗",
    "積極分子要幾個培養聯繫人",
    "三必访是什么",
    "你好",
    "税后月收入12000元，党费交多少",
    "不是",
    "支部换届选举怎么搞",
    "工会会费怎么交",
    "預備期從哪天算",
    "党员大会要多少人到会才有效",
    "<b>入党</b>年龄",
    "2025年3月1日成为预备党员，何时转正",
    "组织关系转接",
    "主题党日每月几次",
    "谢谢",
)


def test_burst_every_update_answered_and_logged(api, make_bot, tmp_path):
    db = tmp_path / "burst.db"
    bot = make_bot(api, db)
    n, users = SIZES.burst_updates, SIZES.burst_users
    expected: Counter = Counter()
    since = api.mark()
    started = time.monotonic()
    for i in range(n):
        user = 700_000 + i % users
        api.send_text(
            QUESTIONS[(i + i // users) % len(QUESTIONS)],
            chat_id=user,
            user_id=user,
            first_name=f"用户{user}",
            username=None,
        )
        expected[user] += 1
    pushed = time.monotonic() - started
    wait_until(
        lambda: len(sends(api, since)) >= n,
        timeout=120 + n * 0.05,
        interval=0.2,
        what=f"{n} replies (got {len(sends(api, since))})",
    )
    replies = sends(api, since)
    last = max(c.t_done for c in replies)
    answered = Counter(c.params["chat_id"] for c in replies)
    assert answered == expected, "some users got fewer or more replies than they sent questions"
    assert not [c for c in replies if c.params.get("text") == APOLOGY]
    assert not [c for c in api.call_log[since:] if c.method == "sendMessage" and not c.ok]
    assert bot.alive

    stopping = time.monotonic()
    assert bot.stop() == 0
    stop_seconds = time.monotonic() - stopping
    rows = count_rows(db)
    assert rows == n, f"the query log has {rows} rows for {n} questions"
    assert count_rows(db, "select count(distinct user_hash) from queries") == users
    record("burst updates", n)
    record("burst users", users)
    record("burst: seconds to push every update", round(pushed, 2))
    record("burst: seconds from first push to last reply", round(last - started, 1))
    record("burst: updates answered per second", round(n / (last - started), 1))
    record("burst: query-log rows after graceful stop", rows)
    record("burst: graceful stop seconds", round(stop_seconds, 1))
