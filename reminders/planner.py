"""What to send now: one pure function for start-up and for every tick ("plan, then claim, then send").

`plan_deliveries` looks at every enabled subscription and returns the occurrences due in a window, each
marked as an on-time send, a catch-up or a miss. It reads no clock and no database: the caller passes the
subscriptions and chat settings (storage.subscriptions / storage.all_chat_settings fit the protocols below),
claims each delivery in storage (at most once per chat, reminder and occurrence), and sends what it won.

- At start-up call it with ``since=None``: it looks back `lookback` (never before the subscription was
  last switched on) so occurrences missed while the bot was down are found. Those at most `grace` late
  are sent as catch-ups; older ones come back with ``missed=True``, to be recorded, not sent.
- On each tick call it with ``since`` = the previous tick's `now`: it returns what fell due in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from reminders.load import ReminderSet
from reminders.schedule import (
    Occurrence,
    TermReminder,
    iter_occurrences,
    render_text,
    resolve_tz,
    term_reminders,
)

DEFAULT_GRACE_HOURS = 12.0
DEFAULT_LOOKBACK = timedelta(days=31)
DEFAULT_ON_TIME = timedelta(minutes=5)


class SubscriptionLike(Protocol):
    """What the planner reads from a subscription (storage.Subscription has it)."""

    chat_id: int
    reminder_id: str
    send_time: time | None
    tz: str | None
    enabled: bool
    updated_at: datetime  # when it was last switched on or changed: nothing before it is caught up


class ChatSettingsLike(Protocol):
    """What the planner reads from a chat's settings (storage.ChatSettings has it)."""

    tz: str | None
    term_start: date | None
    org_type: str | None
    org_level: str | None
    disabled_reason: str | None


@dataclass(frozen=True)
class Delivery:
    """One occurrence for one chat.

    Claim it with ``storage.claim(db, chat_id, reminder_id, due_at, event_key=event_key)``; when `missed`
    is set, record it with ``storage.mark_missed(...)`` instead of sending. `catch_up` marks a send more than
    `on_time` late (the bot was down or a tick stalled); the handler may say so (e.g. prefix 「补发」).
    """

    chat_id: int
    reminder_id: str
    due_at: datetime
    event_date: date
    event_key: str
    text: str
    catch_up: bool = False
    missed: bool = False


def grace_from_hours(raw: str | float | None) -> timedelta:
    """ZHIBU_REMINDER_GRACE_HOURS → timedelta: empty or None means 12 hours; ValueError if not a number ≥ 0."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return timedelta(hours=DEFAULT_GRACE_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        raise ValueError(f"ZHIBU_REMINDER_GRACE_HOURS={raw!r} is not a number of hours") from None
    if not hours >= 0 or hours == float("inf"):
        raise ValueError(f"ZHIBU_REMINDER_GRACE_HOURS must be a finite number ≥ 0, got {raw!r}")
    return timedelta(hours=hours)


def occurrences_for(
    reminders: ReminderSet,
    reminder_id: str,
    settings: ChatSettingsLike | None,
    after: datetime,
    send_time: time | None = None,
    tz_name: str | None = None,
) -> Iterator[Occurrence]:
    """Iterate a chat's occurrences of one reminder due after `after` (the 换届 ones need settings with
    term_start). Unknown ids and term_end without a term yield nothing."""
    tz = resolve_tz(tz_name or (settings.tz if settings else None))
    definition = reminders.get(reminder_id)
    if definition is None:
        return iter(())
    if isinstance(definition, TermReminder):
        if settings is None or settings.term_start is None:
            return iter(())
        try:
            level = settings.org_level
            occs = term_reminders(
                settings.term_start,
                definition.term_years(settings.org_type, level),
                tz,
                send_time or definition.time,
                definition.months_before,
                definition.organization(level),
            )
        except ValueError:
            return iter(())
        return (o for o in occs if o.due_at > after)
    return iter_occurrences(definition, after, tz, send_time)


def next_send(
    reminders: ReminderSet,
    reminder_id: str,
    settings: ChatSettingsLike | None,
    now: datetime,
    send_time: time | None = None,
    tz_name: str | None = None,
) -> Occurrence | None:
    """The next occurrence after `now` for a chat (for /remind list), or None (no term set, unknown id)."""
    for occ in occurrences_for(reminders, reminder_id, settings, now, send_time, tz_name):
        return occ
    return None


def preview(
    reminders: ReminderSet,
    reminder_id: str,
    settings: ChatSettingsLike | None,
    now: datetime,
    send_time: time | None = None,
    tz_name: str | None = None,
) -> str | None:
    """The text `/remind test ID` sends now: the next occurrence's text (a 换届 one needs a term)."""
    definition = reminders.get(reminder_id)
    occ = next_send(reminders, reminder_id, settings, now, send_time, tz_name)
    if definition is None or occ is None:
        return None
    return render_text(definition, occ)


def plan_deliveries(
    reminders: ReminderSet,
    subscriptions: Iterable[SubscriptionLike],
    settings: Mapping[int, ChatSettingsLike],
    *,
    now: datetime,
    since: datetime | None,
    grace: timedelta,
    lookback: timedelta = DEFAULT_LOOKBACK,
    on_time: timedelta = DEFAULT_ON_TIME,
) -> list[Delivery]:
    """Occurrences due in (start, now] for every enabled subscription, oldest first.

    start = max(since, the subscription's updated_at); with ``since=None`` (start-up) since = now − lookback.
    Lateness (now − due_at) above `grace` gives ``missed=True``; above `on_time` gives ``catch_up=True``.
    Chats whose settings carry a disabled_reason, disabled subscriptions and ids no longer in the YAML
    are skipped. Pure: the same inputs give the same plan; claiming makes repeats harmless.
    """
    if now.tzinfo is None or (since is not None and since.tzinfo is None):
        raise ValueError("now and since must be timezone-aware")
    window_start = since if since is not None else now - lookback
    # Thousands of groups share a few (reminder, zone, send time) combinations: compute each once.
    cache: dict[tuple, list[tuple[Occurrence, str]]] = {}
    out: list[Delivery] = []
    for sub in _active(reminders, subscriptions, settings):
        chat = settings.get(sub.chat_id)
        definition = reminders.get(sub.reminder_id)
        tz_name = sub.tz or (chat.tz if chat else None)
        key = (sub.reminder_id, tz_name, sub.send_time)
        if isinstance(definition, TermReminder):
            key += (chat.term_start, chat.org_type, chat.org_level) if chat else (None, None, None)
        if key not in cache:
            cache[key] = []
            for occ in occurrences_for(reminders, sub.reminder_id, chat, window_start, sub.send_time, tz_name):
                if occ.due_at > now:
                    break
                cache[key].append((occ, render_text(definition, occ)))
        start = max(window_start, sub.updated_at) if sub.updated_at is not None else window_start
        for occ, text in cache[key]:
            if occ.due_at <= start:
                continue
            late = now - occ.due_at
            out.append(
                Delivery(
                    sub.chat_id,
                    sub.reminder_id,
                    occ.due_at,
                    occ.event_date,
                    occ.key,
                    text,
                    catch_up=late > on_time,
                    missed=late > grace,
                )
            )
    out.sort(key=lambda d: (d.due_at, d.chat_id, d.reminder_id))
    return out


def _active(
    reminders: ReminderSet, subscriptions: Iterable[SubscriptionLike], settings: Mapping[int, ChatSettingsLike]
) -> Iterable[SubscriptionLike]:
    """Enabled subscriptions to known reminders in chats that are not disabled."""
    for sub in subscriptions:
        chat = settings.get(sub.chat_id)
        disabled = chat is not None and bool(chat.disabled_reason)
        if sub.enabled and reminders.get(sub.reminder_id) is not None and not disabled:
            yield sub


def upcoming(
    reminders: ReminderSet,
    subscriptions: Iterable[SubscriptionLike],
    settings: Mapping[int, ChatSettingsLike],
    *,
    now: datetime,
    until: datetime,
) -> list[Delivery]:
    """Deliveries due in (now, until], e.g. to arm one-shot jobs instead of ticking. Same skips as the plan."""
    out: list[Delivery] = []
    for sub in _active(reminders, subscriptions, settings):
        chat = settings.get(sub.chat_id)
        definition = reminders.get(sub.reminder_id)
        for occ in occurrences_for(reminders, sub.reminder_id, chat, now, sub.send_time, sub.tz):
            if occ.due_at > until:
                break
            out.append(
                Delivery(
                    sub.chat_id, sub.reminder_id, occ.due_at, occ.event_date, occ.key, render_text(definition, occ)
                )
            )
    out.sort(key=lambda d: (d.due_at, d.chat_id, d.reminder_id))
    return out
