"""Settings come from TINHHINH_* variables with __ nesting; tokens stay secret."""

from __future__ import annotations

import pytest

from bot.config import Settings


def test_env_names_nesting_and_secret_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINHHINH_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("TINHHINH_TELEGRAM__TOKEN", "123:SECRET")
    monkeypatch.setenv("TINHHINH_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("TINHHINH_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/tg/hook")
    monkeypatch.setenv("TINHHINH_TELEGRAM__WEBHOOK_SECRET", "s3cret-s3cret-s3cret")
    monkeypatch.setenv("TINHHINH_ZALO__API_BASE", "http://127.0.0.1:9999")
    monkeypatch.setenv("TINHHINH_HTTP__PORT", "8443")
    monkeypatch.setenv("TINHHINH_DRAFTS__EXPIRY_HOURS", "48")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.telegram.mode == "webhook" and s.http.port == 8443
    assert s.telegram.webhook_path == "/tg/hook"
    assert s.zalo.api_base == "http://127.0.0.1:9999"
    assert s.drafts.expiry.total_seconds() == 48 * 3600
    assert s.telegram.token is not None and s.telegram.token.get_secret_value() == "123:SECRET"
    assert "SECRET" not in repr(s) and "SECRET" not in str(s.model_dump())
    assert s.has_messenger


def test_defaults() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url == "sqlite+aiosqlite:///./data/tinhhinh.db"
    assert s.timezone == "Asia/Ho_Chi_Minh" and s.telegram.api_base == "https://api.telegram.org"
    assert s.drafts.nudge_after.total_seconds() == 7200


def test_webhook_mode_needs_a_url_and_a_strong_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINHHINH_TELEGRAM__TOKEN", "123:SECRET")
    monkeypatch.setenv("TINHHINH_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("TINHHINH_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/tg/hook")
    monkeypatch.setenv("TINHHINH_TELEGRAM__WEBHOOK_SECRET", "short")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("TINHHINH_TELEGRAM__WEBHOOK_URL")
    monkeypatch.setenv("TINHHINH_TELEGRAM__WEBHOOK_SECRET", "long-enough-secret-1")
    with pytest.raises(ValueError, match="WEBHOOK_URL"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_an_empty_token_means_no_messenger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINHHINH_TELEGRAM__TOKEN", "")
    monkeypatch.setenv("TINHHINH_ZALO__TOKEN", "  ")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.telegram.token is None and s.zalo.token is None and not s.has_messenger


def test_zalo_bots_from_the_environment_each_with_a_subtree_and_quota(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TINHHINH_ZALO__TOKEN", "main-token")
    monkeypatch.setenv("TINHHINH_ZALO__UNITS", '["HG"]')
    monkeypatch.setenv("TINHHINH_ZALO__QUOTA__MONTHLY_MESSAGES", "2000")
    monkeypatch.setenv("TINHHINH_ZALO__BOTS",
                       '[{"name": "kcn", "token": "kcn-token", "units": ["KCN"]}]')
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    bots = s.zalo.all_bots()
    assert [(b.channel, b.units) for b in bots] == [("zalo", ["HG"]), ("zalo.kcn", ["KCN"])]
    assert bots[0].quota.monthly_messages == 2000 and bots[1].quota.monthly_messages == 3000
    assert bots[0].quota.monthly_users == 50 and s.has_messenger


@pytest.mark.parametrize("zalo", [
    {"token": "t", "mode": "webhook", "webhook_secret": "longenough"},  # no URL
    {"token": "t", "mode": "webhook", "webhook_url": "https://x.vn/zalo",
     "webhook_secret": "short"},
    {"token": "t", "bots": [{"name": "main", "token": "u"}]},  # two bots named main
    {"bots": [{"name": "kcn"}]},  # no token
])
def test_bad_zalo_settings_stop_start_up_with_a_reason(zalo: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"Zalo|ZALO"):
        Settings(zalo=zalo, _env_file=None)  # type: ignore[arg-type, call-arg]
