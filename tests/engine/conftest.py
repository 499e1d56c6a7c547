"""Engine tests share the shipped policy, loaded once (pure: no database)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.forms import load_catalog
from bot.policy import Policy, load_policy

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FORMS = load_catalog().forms


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(FORMS, TZ)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]
