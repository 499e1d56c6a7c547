"""Settings from TINHHINH_* environment variables or a .env file (DESIGN.md, Interfaces)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _blank_is_none(value: object) -> object:
    """``TINHHINH_TELEGRAM__TOKEN=`` (as in .env.example) means no token, not an empty one."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, SecretStr) and not value.get_secret_value().strip():
        return None
    return value


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # The bot's @username, used to print t.me deep links for invites.
    username: str | None = None
    # Pacing, kept inside Telegram's limits (about 30/s per bot, 1/s per chat, 20/min per group).
    overall_per_second: float = Field(default=25.0, gt=0, le=30)
    chat_interval_seconds: float = Field(default=1.0, ge=0)
    group_per_minute: int = Field(default=20, ge=1, le=20)
    # Long-polling wait per getUpdates call, in seconds.
    poll_timeout: int = Field(default=25, ge=0, le=50)

    _token_blank = field_validator("token", "webhook_secret", mode="before")(_blank_is_none)

    @model_validator(mode="after")
    def _webhook_needs_url_and_secret(self) -> TelegramSettings:
        if self.token is not None and self.mode == "webhook":
            if not self.webhook_url:
                raise ValueError("TINHHINH_TELEGRAM__WEBHOOK_URL is required in webhook mode")
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
                raise ValueError(
                    "TINHHINH_TELEGRAM__WEBHOOK_SECRET must be 16-256 of A-Z, a-z, 0-9, _ and -"
                )
        return self

    @property
    def webhook_path(self) -> str:
        """The route on our server: the path of the public webhook URL."""
        return urlsplit(self.webhook_url or "").path or "/telegram/webhook"


class ZaloSettings(BaseModel):
    token: SecretStr | None = None
    api_base: str = "https://bot-api.zaloplatforms.com"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None

    _token_blank = field_validator("token", "webhook_secret", mode="before")(_blank_is_none)


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080


class DraftSettings(BaseModel):
    """How long an unfinished report lives, and when its author is nudged once."""

    expiry_hours: float = Field(default=7 * 24, gt=0)
    nudge_after_hours: float = Field(default=2, gt=0)

    @property
    def expiry(self) -> timedelta:
        return timedelta(hours=self.expiry_hours)

    @property
    def nudge_after(self) -> timedelta:
        return timedelta(hours=self.nudge_after_hours)


class AttachmentSettings(BaseModel):
    # Files larger than this are refused with a message (Telegram bots cannot fetch >20 MB).
    max_mb: float = Field(default=20, gt=0)

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


class EnrolmentSettings(BaseModel):
    wrong_codes_per_hour: int = Field(default=5, ge=1)
    default_invite_days: int = Field(default=14, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TINHHINH_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = "sqlite+aiosqlite:///./data/tinhhinh.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"
    policy_file: Path | None = None
    media_dir: Path = Path("./data/media")
    telegram: TelegramSettings = TelegramSettings()
    zalo: ZaloSettings = ZaloSettings()
    http: HttpSettings = HttpSettings()
    drafts: DraftSettings = DraftSettings()
    enrolment: EnrolmentSettings = EnrolmentSettings()
    attachments: AttachmentSettings = AttachmentSettings()
    # How often the fire poller looks for due timers, in seconds.
    fire_poll_seconds: float = Field(default=5.0, gt=0)

    @property
    def has_messenger(self) -> bool:
        return self.telegram.token is not None or self.zalo.token is not None
