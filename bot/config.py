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

    def start_link(self, code: str) -> str | None:
        """The deep link that opens the bot with an invite code (None without a username)."""
        name = (self.username or "").lstrip("@")
        return f"https://t.me/{name}?start={code}" if name else None
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


class ZaloQuotaSettings(BaseModel):
    """The free plan: 50 users per bot and 3,000 messages per calendar month."""

    monthly_messages: int = Field(default=3000, ge=1)
    monthly_users: int = Field(default=50, ge=1)
    # Administrators are warned once a month when either count passes this share of its cap.
    warn_at: float = Field(default=0.8, gt=0, lt=1)
    # Near the cap the last messages are kept for what matters most: a kind may use the
    # monthly budget only while more than this share of it is left (alerts use all of it).
    reserve: dict[str, float] = Field(default_factory=lambda: {
        "alert": 0.0, "reply": 0.02, "notice": 0.05, "reminder": 0.10, "digest": 0.20,
    })
    # People with no role (strangers: anyone may write to a bot) use at most these shares of
    # the month's users and messages, and get at most this many replies a day.
    stranger_user_share: float = Field(default=0.1, gt=0, lt=1)
    stranger_message_share: float = Field(default=0.05, gt=0, lt=1)
    stranger_replies_per_day: int = Field(default=3, ge=0)
    # Anyone's replies in an hour: a burst of lines costs at most this many messages.
    replies_per_hour: int = Field(default=60, ge=1)
    # After the messenger's 429 the bot pauses this long, doubling on each 429 in a row up
    # to the cap, then probes with the next send.
    pause_seconds: float = Field(default=300, gt=0)
    pause_max_seconds: float = Field(default=3600, gt=0)

    @property
    def stranger_users(self) -> int:
        return max(1, int(self.monthly_users * self.stranger_user_share))

    @property
    def stranger_messages(self) -> int:
        return max(1, int(self.monthly_messages * self.stranger_message_share))

    @field_validator("reserve")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, share in value.items():
            if not 0 <= share < 1:
                raise ValueError(f"reserve for {kind} must be in [0, 1)")
        return value


class ZaloBotSettings(BaseModel):
    """One Zalo bot. Several bots keep each under the plan's 50-user cap: each serves the
    subtrees of the org tree under ``units`` (unit codes; empty means the whole tree)."""

    name: str = Field(default="main", pattern=r"^[a-z0-9_]{1,24}$")
    # How people know the bot ("Zalo Công đoàn Hà Giang"), shown when they write to the wrong one.
    title: str = ""
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    units: list[str] = Field(default_factory=list)
    quota: ZaloQuotaSettings = ZaloQuotaSettings()

    _token_blank = field_validator("token", "webhook_secret", mode="before")(_blank_is_none)

    @property
    def channel(self) -> str:
        """The channel name of this bot's identities and outbox rows."""
        return "zalo" if self.name == "main" else f"zalo.{self.name}"


class ZaloSettings(BaseModel):
    token: SecretStr | None = None
    api_base: str = "https://bot-api.zaloplatforms.com"
    mode: Literal["polling", "webhook"] = "polling"
    # The public HTTPS address Zalo posts to; our route is its path plus the bot's name.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # The subtrees the main bot serves (unit codes; empty: the whole tree), and its title.
    units: list[str] = Field(default_factory=list)
    title: str = ""
    quota: ZaloQuotaSettings = ZaloQuotaSettings()
    # More bots, as JSON: [{"name": "hg", "token": "...", "units": ["HG"]}].
    bots: list[ZaloBotSettings] = Field(default_factory=list)
    # Long-polling wait per getUpdates call, in seconds.
    poll_timeout: int = Field(default=30, ge=1, le=60)
    # Pacing per bot; Zalo publishes no rate, so a conservative default.
    per_second: float = Field(default=5.0, gt=0, le=30)
    chat_interval_seconds: float = Field(default=0.5, ge=0)

    _token_blank = field_validator("token", "webhook_secret", mode="before")(_blank_is_none)

    @model_validator(mode="after")
    def _bots_are_distinct_and_complete(self) -> ZaloSettings:
        names = [b.name for b in self.all_bots()]
        if len(set(names)) != len(names):
            raise ValueError("each Zalo bot needs its own name (TINHHINH_ZALO__BOTS)")
        for bot in self.all_bots():
            if bot.token is None:
                raise ValueError(f"Zalo bot '{bot.name}' has no token")
            if self.mode == "webhook":
                if not self.webhook_url:
                    raise ValueError("TINHHINH_ZALO__WEBHOOK_URL is required in webhook mode")
                secret = bot.webhook_secret.get_secret_value() if bot.webhook_secret else ""
                if not 8 <= len(secret) <= 256:
                    raise ValueError(
                        f"Zalo bot '{bot.name}': the webhook secret must be 8-256 characters"
                    )
        return self

    def all_bots(self) -> list[ZaloBotSettings]:
        """The main bot (from TINHHINH_ZALO__TOKEN), then the extra bots."""
        main = []
        if self.token is not None:
            main = [ZaloBotSettings(name="main", title=self.title, token=self.token,
                                    webhook_secret=self.webhook_secret, units=self.units,
                                    quota=self.quota)]
        return [*main, *self.bots]

    def webhook_path(self, bot: ZaloBotSettings) -> str:
        base = urlsplit(self.webhook_url or "").path.rstrip("/") or "/zalo"
        return f"{base}/{bot.name}"


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    # The public https address the bot puts in links (sign-in, forms, photos sent by URL).
    # Without it, links point at this server only when it listens on this machine alone
    # (the console demo); otherwise no links are sent and messages say so.
    public_url: str | None = None
    session_days: float = Field(default=7, gt=0)
    sign_in_minutes: float = Field(default=10, gt=0, le=60)
    # Links in reminders and "fill on the phone" lines: used once, read hours later.
    message_link_hours: float = Field(default=72, gt=0)
    sign_in_links_per_hour: int = Field(default=10, ge=1)
    # Signed addresses of a report's photos and files (alerts, pages) last this long.
    media_link_hours: float = Field(default=72, gt=0)
    # Requests a minute to the web pages: from one address (generous: a mobile carrier puts
    # many phones behind one address), posts by one person, sign-in presses from one address.
    requests_per_address: int = Field(default=600, ge=1)
    posts_per_person: int = Field(default=90, ge=1)
    sign_ins_per_address: int = Field(default=60, ge=1)
    # Members' "Tôi đã đọc" a minute from one address (no sign-in: a unit's members at work
    # may share one address, so it is a bound on a flood, not on a unit).
    member_reads_per_address: int = Field(default=30, ge=1)
    # The read-only API: requests a minute per token (a nightly sync reads a province's year
    # in a few hundred pages), and from one address before its token is looked up.
    api_per_token: int = Field(default=120, ge=1)
    api_per_address: int = Field(default=600, ge=1)

    _blank = field_validator("public_url", mode="before")(_blank_is_none)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("TINHHINH_HTTP__PUBLIC_URL must be an http(s) address")
        return value.rstrip("/") if value else value

    def base_url(self, port: int, *, messengers: bool) -> str | None:
        """Where links point: the public address; else, for the console demo (no messenger:
        the person is at this machine), this server on loopback (``port``); else nowhere."""
        if self.public_url:
            return self.public_url
        if not messengers and self.host in ("127.0.0.1", "localhost", "::1"):
            return f"http://{self.host}:{port}"
        return None

    @property
    def secure(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))


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


class RetentionSettings(BaseModel):
    """How long the bot keeps its own bookkeeping (handlers/delivery/retention.py)."""

    # Processed event ids: the messengers' redelivery window plus a margin.
    events_days: float = Field(default=7, gt=0)
    # Outbox rows once sent, dead, dropped or rerouted.
    outbox_days: float = Field(default=90, gt=0)
    # Rows removed per statement and per run.
    batch: int = Field(default=5000, ge=1)


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
    retention: RetentionSettings = RetentionSettings()
    # How often the fire poller looks for due timers, in seconds.
    fire_poll_seconds: float = Field(default=5.0, gt=0)
    # SQLite: how long start-up, commands and writes wait for another process's write lock.
    sqlite_lock_wait_seconds: float = Field(default=30.0, gt=0)

    # Identity linking codes ("/lienket") live this long.
    link_code_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @property
    def has_messenger(self) -> bool:
        return self.telegram.token is not None or bool(self.zalo.all_bots())
