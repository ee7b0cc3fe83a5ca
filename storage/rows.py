"""Turning `QueryLog.log()` keyword arguments into `queries` rows (pure, no I/O)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from typing import Any

from .migrations import QUERY_COLUMNS
from .salt import hash_user_id
from .timeutil import to_iso

#: Keyword arguments `log()` accepts besides the columns themselves.
EXTRA_FIELDS = frozenset({"user_id"})
_PLAIN_COLUMNS = {k: v for k, v in QUERY_COLUMNS.items() if k not in ("id", "ts", "verdicts")}


def new_id() -> str:
    """Return a fresh query id (uuid4 hex, 32 characters)."""
    return uuid.uuid4().hex


def build_query_row(fields: Mapping[str, Any], salt: bytes) -> tuple[dict[str, Any], list[str]]:
    """Return ``(row, unknown_field_names)`` for one exchange.

    - `id` defaults to a new uuid4 hex, `ts` to now (any datetime or ISO string is stored as UTC ISO);
    - `user_id` is replaced by `user_hash` (salted HMAC); the raw id is never part of the row;
    - `chat_id` is dropped in private chats and whenever it equals the user id (Telegram private chat ids
      *are* user ids);
    - `fallback` becomes 0/1 and `verdicts` a JSON list of objects, each with a `rule_id`.
    Unknown keys are left out of the row and returned, so the caller can warn about them.
    """
    row: dict[str, Any] = {k: _coerce(fields.get(k), kind) for k, kind in _PLAIN_COLUMNS.items()}
    unknown = [k for k in fields if k not in QUERY_COLUMNS and k not in EXTRA_FIELDS]
    row["id"] = str(fields.get("id") or new_id())
    row["ts"] = to_iso(fields.get("ts"))
    user_id = fields.get("user_id")
    if row["user_hash"] is None:
        row["user_hash"] = hash_user_id(salt, user_id)
    chat_id = row["chat_id"]
    if chat_id is not None and (row["chat_type"] == "private" or str(chat_id) == str(user_id)):
        row["chat_id"] = None
    if fields.get("fallback") is not None:
        row["fallback"] = int(bool(fields["fallback"]))
    row["verdicts"] = _clean_text(verdicts_json(fields.get("verdicts")))
    return row, unknown


def _coerce(value: Any, kind: type) -> Any:
    """Make `value` bindable as `kind` (str, int or float), or None, so no row can poison a batch."""
    if value is None:
        return None
    if kind is str:
        return _clean_text(value if type(value) is str else str(value))
    if type(value) is kind:
        return value
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _clean_text(text: str | None) -> str | None:
    """Replace lone surrogates (valid in Python, not in UTF-8), which SQLite would refuse to bind."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def verdicts_json(verdicts: Any) -> str | None:
    """Serialize verdicts as a JSON list of objects that each carry `rule_id`.

    Accepts a JSON string (kept as is), a list of mappings, frozen dataclasses, objects with a `rule_id`
    attribute, or bare rule id strings. None stays None.
    """
    if verdicts is None or isinstance(verdicts, str):
        return verdicts
    if isinstance(verdicts, Mapping) or dataclasses.is_dataclass(verdicts):
        verdicts = [verdicts]
    items = [_verdict_dict(v) for v in verdicts]
    return json.dumps(items, ensure_ascii=False, default=str, separators=(",", ":"))


def _verdict_dict(verdict: Any) -> dict[str, Any]:
    if isinstance(verdict, Mapping):
        return dict(verdict)
    if dataclasses.is_dataclass(verdict) and not isinstance(verdict, type):
        return dataclasses.asdict(verdict)
    if isinstance(verdict, str):
        return {"rule_id": verdict}
    out = {"rule_id": getattr(verdict, "rule_id", None)}
    for name in ("outcome", "topic"):
        if hasattr(verdict, name):
            out[name] = getattr(verdict, name)
    return out
