"""Every environment variable the bot reads, read here and nowhere else (documented in README and .env.example).

`env(name)` is the one reader: storage, the reminder planner and the entry point ask it for their variable, so
a test can list and document them all (ENV_VARS). `load_settings()` validates the Telegram ones at start-up.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{8,}$")


PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_VARS = {
    "TELEGRAM_BOT_TOKEN": "the bot's token from @BotFather; without it `bot.py run` starts the console chat",
    "ZHIBU_ADMIN_IDS": "comma-separated Telegram user ids allowed /stats, /reload, uploads, /rollback",
    "ZHIBU_TZ": "default time zone for reminders (Asia/Shanghai)",
    "ZHIBU_API_BASE_URL": "a self-hosted Bot API server's base URL",
    "ZHIBU_API_BASE_FILE_URL": "its base URL for file downloads",
    "ZHIBU_RATE_PER_SECOND": "overall send cap of the rate limiter (30; 0 turns the cap off)",
    "ZHIBU_GROUP_RATE_PER_MINUTE": "per-group send cap (20)",
    "ZHIBU_CONTENT_ROOT": "folder holding knowledge/ and rules/ (the project folder)",
    "ZHIBU_WATCH": "1: reload when a YAML file changes",
    "ZHIBU_LOG_LEVEL": "logging level (WARNING)",
    "ZHIBU_REMINDER_GRACE_HOURS": "how late a missed reminder may still be sent after a restart (12)",
    "ZHIBU_DB": "SQLite database path (data/zhibu.db)",
    "ZHIBU_SALT": "salt for hashing user ids (else a salt file next to the database)",
    "ZHIBU_RETENTION_DAYS": "days the query log keeps questions (365; 0 keeps them forever)",
}


def env(name: str, environ: dict | None = None) -> str:
    """The raw value of one of ENV_VARS ("" when unset)."""
    if name not in ENV_VARS:
        raise KeyError(f"{name} is not a setting this bot reads (add it to ENV_VARS and the README)")
    return (os.environ if environ is None else environ).get(name, "")


def env_flag(name: str, environ: dict | None = None) -> bool:
    """A yes/no setting: 1, true or yes turn it on."""
    return env(name, environ).strip() in ("1", "true", "yes")


def content_root(environ: dict | None = None) -> Path:
    """The folder holding knowledge/ and rules/: ZHIBU_CONTENT_ROOT, else the project folder."""
    return Path(env("ZHIBU_CONTENT_ROOT", environ) or PROJECT_ROOT).resolve()


class SettingsError(ValueError):
    """A setting that cannot work; the message is one line an operator can act on."""


@dataclass(frozen=True)
class Settings:
    token: str = ""
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    api_base_url: str | None = None
    api_base_file_url: str | None = None
    rate_per_second: float = 30.0  # Telegram's global flood limit; 0 disables the limiter's cap
    group_rate_per_minute: float = 20.0  # Telegram's per-group limit

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


def _float(environ: dict, name: str, default: float) -> float:
    raw = env(name, environ).strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise SettingsError(f"{name} must be ≥ 0, got {raw}")
    return value


def load_settings(environ: dict | None = None) -> Settings:
    """Read TELEGRAM_BOT_TOKEN, ZHIBU_ADMIN_IDS, ZHIBU_TZ, ZHIBU_API_BASE_URL, ZHIBU_API_BASE_FILE_URL, rates."""
    environ = dict(os.environ if environ is None else environ)
    token = env("TELEGRAM_BOT_TOKEN", environ).strip()
    if token and not TOKEN_PATTERN.match(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret "
            "(as BotFather gives it, e.g. 123456789:AAE...)"
        )
    admins = set()
    for part in filter(None, (p.strip() for p in env("ZHIBU_ADMIN_IDS", environ).split(","))):
        if not re.fullmatch(r"-?\d+", part):
            raise SettingsError(f"ZHIBU_ADMIN_IDS: {part!r} is not a Telegram user id (comma-separated numbers)")
        admins.add(int(part))
    tz_name = env("ZHIBU_TZ", environ).strip() or "Asia/Shanghai"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ZHIBU_TZ={tz_name!r} is not a known time zone (e.g. Asia/Shanghai)") from None
    return Settings(
        token=token,
        admin_ids=frozenset(admins),
        tz=tz,
        api_base_url=env("ZHIBU_API_BASE_URL", environ).strip() or None,
        api_base_file_url=env("ZHIBU_API_BASE_FILE_URL", environ).strip() or None,
        rate_per_second=_float(environ, "ZHIBU_RATE_PER_SECOND", 30.0),
        group_rate_per_minute=_float(environ, "ZHIBU_GROUP_RATE_PER_MINUTE", 20.0),
    )
