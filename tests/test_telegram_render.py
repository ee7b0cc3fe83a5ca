"""HTML rendering, splitting and keyboards for Telegram; settings validation."""

import html

import pytest

from handlers.core.pipeline import Inbound, Reply, Suggestion
from common.settings import SettingsError, load_settings
from handlers.telegram.render import MAX_MESSAGE, html_parts, reply_keyboard, split_text, to_html


def test_user_text_is_escaped_and_title_bolded():
    out = to_html("【标题<b>】\n<script>alert('x')</script> & 1 < 2")
    assert out == "<b>【标题&lt;b&gt;】</b>\n&lt;script&gt;alert('x')&lt;/script&gt; &amp; 1 &lt; 2"


@pytest.mark.parametrize(
    "text",
    [
        "短回答",
        "\n".join(f"第{i}行：" + "党" * 80 for i in range(200)),  # many lines
        "<" * 9000,  # one line that triples when escaped
        "a" * 20000,
    ],
)
def test_long_answers_split_cleanly_under_the_limit(text):
    parts = html_parts(text)
    assert all(len(p) <= MAX_MESSAGE for p in parts)
    assert "".join(html.unescape(p.replace("<b>", "").replace("</b>", "")) for p in parts).replace(
        "\n", ""
    ) == text.replace("\n", "")


def test_split_prefers_line_breaks():
    text = "\n".join(["x" * 3000, "y" * 3000])
    assert split_text(text) == ["x" * 3000, "y" * 3000]


def test_keyboard_has_suggestions_related_and_feedback_with_short_callback_data(assistant):
    reply = assistant.respond(Inbound("支部"))
    reply = Reply("answer", "x", query_id="a" * 32, related=(Suggestion("admission.sponsors", "入党介绍人"),))
    markup = reply_keyboard(reply)
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == ["e:admission.sponsors", f"fb:+:{'a' * 32}", f"fb:-:{'a' * 32}"]
    assert all(len(d.encode()) <= 64 for d in data)


def test_decline_offers_did_you_mean_buttons():
    reply = Reply("decline", "x", fallback=True, suggestions=(Suggestion("a.b", "甲"), Suggestion("c.d", "乙")))
    markup = reply_keyboard(reply)
    assert [row[0].callback_data for row in markup.inline_keyboard] == ["e:a.b", "e:c.d"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"ZHIBU_ADMIN_IDS": "12,abc"}, "ZHIBU_ADMIN_IDS: 'abc' is not a Telegram user id"),
        ({"ZHIBU_TZ": "Mars/Base"}, "ZHIBU_TZ='Mars/Base' is not a known time zone"),
        ({"ZHIBU_RATE_PER_SECOND": "-1"}, "ZHIBU_RATE_PER_SECOND must be ≥ 0"),
    ],
)
def test_bad_settings_give_one_clear_line(env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load_settings(env)


def test_settings_parse():
    s = load_settings(
        {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJ", "ZHIBU_ADMIN_IDS": "1, 2", "ZHIBU_TZ": "Asia/Shanghai"}
    )
    assert s.admin_ids == {1, 2} and s.is_admin(2) and not s.is_admin(3) and not s.is_admin(None)
