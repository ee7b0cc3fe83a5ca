"""Long polling that survives one update python-telegram-bot cannot parse.

PTB parses a getUpdates batch in one go (Update.de_list): one update it cannot read (a poll without
`persistent_id`, as an older self-hosted Bot API server sends it) fails the whole batch, the Updater asks for
the same batch again, forever, and PTB logs the raw batch (members' messages included) at CRITICAL on every
try. Here the batch is parsed update by update only when that happens: an unreadable update is logged once,
by id and error only, and replaced by an empty Update with the same id, so the offset moves past it and
every other update of the batch is answered.
"""

from __future__ import annotations

import contextvars
import logging

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger("zhibu.telegram")

_raw_batch: contextvars.ContextVar[list | None] = contextvars.ContextVar("zhibu_raw_batch", default=None)


class _NoRawBatchLog(logging.Filter):
    """Drop PTB's "Error while parsing updates! Received data was …" record: it holds members' messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error while parsing updates")


for _name in ("telegram.Bot", "telegram.ext.ExtBot"):
    logging.getLogger(_name).addFilter(_NoRawBatchLog())


class TolerantBot(ExtBot):
    """ExtBot whose get_updates skips (and logs once) the updates it cannot parse."""

    async def _post(self, endpoint: str, data=None, *args, **kwargs):
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates":
            _raw_batch.set(result if isinstance(result, list) else None)  # same task: get_updates sees it
        return result

    async def get_updates(self, *args, **kwargs) -> tuple[Update, ...]:
        _raw_batch.set(None)
        try:
            return await super().get_updates(*args, **kwargs)
        except Exception:
            raw = _raw_batch.get()
            if raw is None:
                raise  # not a parsing problem (network, Telegram's own error): PTB's Updater handles it
        return tuple(update for update in map(self._parse_one, raw) if update is not None)

    def _parse_one(self, data: object) -> Update | None:
        try:
            update = Update.de_json(data, self)
            self.insert_callback_data(update)
            return update
        except Exception as exc:  # noqa: BLE001
            update_id = data.get("update_id") if isinstance(data, dict) else None
            kinds = sorted(k for k in data if k != "update_id") if isinstance(data, dict) else []
            log.error(
                "skipping update %s (%s) that python-telegram-bot cannot read: %s: %s",
                update_id,
                ",".join(kinds),
                type(exc).__name__,
                exc,
            )
            return Update(update_id) if isinstance(update_id, int) else None
