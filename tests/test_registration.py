"""Everything wired at start-up is registered once: a second registration of a channel,
command, reply code, intent route, host question or effect applier stops start-up, naming
what was registered twice, instead of silently replacing the first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.engine import effects as fx
from bot.engine.registry import DuplicateRegistration
from handlers.conversation.dispatch import Idle
from handlers.incidents.escalation import IncidentOpened
from tests.conftest import RecordingChannel, make_app


@pytest.fixture
async def wired(sqlite_url: str, clock: ManualClock) -> AsyncIterator[App]:
    app = make_app(sqlite_url, clock, RecordingChannel())
    yield app
    await app.close()


async def nothing(*_: Any) -> None:
    return None


def test_two_adapters_of_one_name_stop_start_up(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(DuplicateRegistration, match="channel: 'console' is registered twice"):
        build_app(settings, channels=[RecordingChannel(), RecordingChannel()])


def test_a_configured_messenger_is_not_registered_beside_its_stand_in(sqlite_url: str) -> None:
    """A test's stand-in replaces the configured Zalo bot; the bot is not built twice."""
    settings = Settings(database_url=sqlite_url, zalo={"token": "zalo-token-123"},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, channels=[RecordingChannel("zalo")])
    assert list(app.channels) == ["zalo"] and app.zalo == []


@pytest.mark.parametrize(("what", "register"), [
    ("command: 'export'", lambda app: app.dispatcher.add_command("export", nothing)),
    ("command: 'start'", lambda app: app.dispatcher.add_commands({"start": nothing})),
    ("reply code: 'acknowledge'",
     lambda app: app.dispatcher.add_actions({"acknowledge": nothing}, "officials")),
    ("reply code: 'link_accept'",
     lambda app: app.dispatcher.add_actions({"link_accept": nothing}, "anyone")),
    ("intent: '<class 'handlers.conversation.dispatch.Idle'>'",
     lambda app: app.dispatcher.routes.add(Idle, nothing)),
    ("host question: 'language'",
     lambda app: app.dispatcher.asking.add_question("language", object())),
    ("effect applier: '<class 'bot.engine.effects.Ask'>'",
     lambda app: app.dispatcher.flow.appliers.add(fx.Ask, nothing)),
    ("report effect: '<class 'handlers.incidents.escalation.IncidentOpened'>'",
     lambda app: app.dispatcher.flow.on_stored(lambda r: [], IncidentOpened, nothing)),
])
def test_a_second_registration_fails_naming_it(
    wired: App, what: str, register: Callable[[App], object]
) -> None:
    with pytest.raises(DuplicateRegistration) as failure:
        register(wired)
    assert str(failure.value) == f"{what} is registered twice"


def test_a_command_word_without_a_handler_stops_start_up(wired: App) -> None:
    assert wired.dispatcher is not None
    del wired.dispatcher.commands._items["stats"]
    with pytest.raises(ValueError, match="commands without a handler: stats"):
        wired.dispatcher.check_vocabulary()


def test_a_stand_in_replaces_only_what_is_registered(wired: App) -> None:
    """``replace`` is for a test's probe, and never adds: the key must exist."""
    assert wired.dispatcher is not None
    stats = wired.dispatcher.commands["stats"]
    with pytest.raises(KeyError, match="command: 'no_such' is not registered"):
        wired.dispatcher.commands.replace("no_such", stats)
    assert "no_such" not in wired.dispatcher.commands
