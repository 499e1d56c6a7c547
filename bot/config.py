"""Settings from TINHHINH_* environment variables or a .env file (DESIGN.md, Interfaces)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # The bot's @username, used to print t.me deep links for invites.
    username: str | None = None


class ZaloSettings(BaseModel):
    token: SecretStr | None = None
    api_base: str = "https://bot-api.zaloplatforms.com"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None


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
    # How often the fire poller looks for due timers, in seconds.
    fire_poll_seconds: float = Field(default=5.0, gt=0)

    @property
    def has_messenger(self) -> bool:
        return self.telegram.token is not None or self.zalo.token is not None
