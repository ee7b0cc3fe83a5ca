"""Settings from the environment, validated once at start-up (documented in README and .env.example)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{8,}$")


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def env_flag(name: str, env: dict | None = None) -> bool:
    """A yes/no setting: 1, true or yes turn it on."""
    env = os.environ if env is None else env
    return env.get(name, "").strip() in ("1", "true", "yes")


def content_root(env: dict | None = None) -> Path:
    """The folder holding knowledge/ and rules/: ZHIBU_CONTENT_ROOT, else the project folder."""
    env = os.environ if env is None else env
    return Path(env.get("ZHIBU_CONTENT_ROOT") or PROJECT_ROOT).resolve()


class SettingsError(ValueError):
    """A setting that cannot work; the message is one line an operator can act on."""


@dataclass(frozen=True)
class Settings:
    token: str = ""
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    api_base_url: str | None = None
    api_base_file_url: str | None = None
    rate_per_second: float = 30.0          # Telegram's global flood limit; 0 disables the limiter's cap
    group_rate_per_minute: float = 20.0    # Telegram's per-group limit

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise SettingsError(f"{name} must be ≥ 0, got {raw}")
    return value


def load_settings(env: dict | None = None) -> Settings:
    """Read TELEGRAM_BOT_TOKEN, ZHIBU_ADMIN_IDS, ZHIBU_TZ, ZHIBU_API_BASE_URL, ZHIBU_API_BASE_FILE_URL, rates."""
    env = dict(os.environ if env is None else env)
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token and not TOKEN_PATTERN.match(token):
        raise SettingsError("TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret "
                            "(as BotFather gives it, e.g. 123456789:AAE...)")
    admins = set()
    for part in filter(None, (p.strip() for p in env.get("ZHIBU_ADMIN_IDS", "").split(","))):
        if not re.fullmatch(r"-?\d+", part):
            raise SettingsError(f"ZHIBU_ADMIN_IDS: {part!r} is not a Telegram user id (comma-separated numbers)")
        admins.add(int(part))
    tz_name = env.get("ZHIBU_TZ", "").strip() or "Asia/Shanghai"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ZHIBU_TZ={tz_name!r} is not a known time zone (e.g. Asia/Shanghai)") from None
    return Settings(
        token=token, admin_ids=frozenset(admins), tz=tz,
        api_base_url=env.get("ZHIBU_API_BASE_URL", "").strip() or None,
        api_base_file_url=env.get("ZHIBU_API_BASE_FILE_URL", "").strip() or None,
        rate_per_second=_float(env, "ZHIBU_RATE_PER_SECOND", 30.0),
        group_rate_per_minute=_float(env, "ZHIBU_GROUP_RATE_PER_MINUTE", 20.0),
    )
