"""The `tinhhinh` command (also `python -m bot`): the interface administrators script against.

Every failure is one line on stderr and exit code 2, never a traceback: a bad setting names
the variable and the rule (never its value: it may be a token), a locked SQLite database says
how long it waited, anything unforeseen says its kind and a message with secrets redacted.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.tree import Tree

from bot import logredact
from bot.app import App, build_app
from bot.channels.base import ChannelAdapter
from bot.channels.console import NAME as CONSOLE
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.console_chat import chat as console_chat
from bot.engine.messages import Msg
from bot.i18n import Translator
from bot.policy import PolicyError
from bot.service import serve
from handlers.delivery.status import snapshot, status_lines
from handlers.exports.desk import audit_export
from handlers.exports.period import parse_period
from handlers.people.demo import DEMO_CHAIR, seed_demo
from handlers.people.enrolment import InviteError, create_invite
from handlers.people.org_import import import_units, read_table
from handlers.people.privacy import EVERYONE, NOBODY
from handlers.surveys.forms import ImportRefused
from storage.database import DatabaseLocked
from storage.migrate import is_up_to_date, upgrade

_QUIET = {"no_args_is_help": True, "pretty_exceptions_enable": False}
cli = typer.Typer(help="tinhhinh: situation reports for trade unions", **_QUIET)  # type: ignore[arg-type]
db_cli = typer.Typer(help="Database schema", **_QUIET)  # type: ignore[arg-type]
org_cli = typer.Typer(help="The union org tree", **_QUIET)  # type: ignore[arg-type]
invite_cli = typer.Typer(help="Invite codes", **_QUIET)  # type: ignore[arg-type]
form_cli = typer.Typer(help="Survey forms from Excel (XLSForm)", **_QUIET)  # type: ignore[arg-type]
cli.add_typer(db_cli, name="db")
cli.add_typer(org_cli, name="org")
cli.add_typer(invite_cli, name="invite")
cli.add_typer(form_cli, name="form")

T = TypeVar("T")


@functools.cache
def _translator() -> Translator:
    # Loaded once per command: an import with many errors prints many lines. The language
    # comes from the settings only when they are valid (a bad setting is reported in it).
    try:
        language = Settings().default_language
    except ValidationError:
        language = "vi"
    return Translator.load(default=language)


def _say(msg: Msg, *, err: bool = False) -> None:
    typer.echo(_translator().render(None, msg), err=err)


def _with_app(
    body: Callable[[App], Awaitable[T]], *, channels: list[ChannelAdapter] | None = None,
    require_schema: bool = True,
) -> T:
    async def run() -> T:
        try:
            app = build_app(Settings(), channels=channels)
        except PolicyError as exc:  # a province's policy file: say what is wrong, no traceback
            _say(Msg("cli.bad_policy", problem=str(exc)), err=True)
            raise typer.Exit(2) from None
        try:
            wait = app.settings.sqlite_lock_wait_seconds
            if require_schema and not await is_up_to_date(app.db, lock_wait=wait):
                _say(Msg("cli.not_migrated"), err=True)
                raise typer.Exit(2)
            return await body(app)
        except DatabaseLocked as exc:
            _say(Msg("cli.db_locked", seconds=round(exc.waited)), err=True)
            raise typer.Exit(2) from None
        finally:
            await app.close()

    return asyncio.run(run())


@cli.command()
def run() -> None:
    """Run the service; with no messenger configured, chat in this terminal as the demo chair."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of the fire poll (every few seconds) at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = Settings()
    if settings.has_messenger:
        _with_app(_serve)
        return

    async def body(app: App) -> None:
        async with app.uows() as uow:
            if await uow.units.count() == 0:
                await seed_demo(uow, app.clock.now(), channel=CONSOLE)
                await uow.commit()
                _say(Msg("cli.demo_seeded"))
        _say(Msg("cli.console_banner", identity=DEMO_CHAIR[0]))
        await _chat_beside_web(app)

    _with_app(body, channels=[ConsoleChannel(sys.stdout, me=DEMO_CHAIR[0])])


async def _chat_beside_web(app: App) -> None:
    """The demo chair's chat, with the web pages served on loopback while it lasts (its
    "/web" links open there; `tinhhinh chat --as` in another terminal links there too)."""
    await app.start_http()
    try:
        await console_chat(app, DEMO_CHAIR[0], sys.stdin, sys.stdout)
    finally:
        await app.http.stop()


async def _serve(app: App) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    channels = ", ".join(sorted(app.channels)) or "-"
    await serve(app, stop, ready=lambda: _say(Msg("cli.started", channels=channels), err=True))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""

    async def body(app: App) -> None:
        wait = app.settings.sqlite_lock_wait_seconds
        if await is_up_to_date(app.db, lock_wait=wait):
            _say(Msg("cli.db_up_to_date"))  # says what happened: nothing needed doing
            return
        await upgrade(app.db, lock_wait=wait)
        _say(Msg("cli.db_upgraded"))

    _with_app(body, require_schema=False)


@org_cli.command("import")
def org_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Import or update units from CSV or XLSX with columns ma, ten, ma_cap_tren, cap."""

    async def body(app: App) -> int:
        rows, problem = read_table(file)
        if problem is not None:
            _say(problem, err=True)
            return 2
        async with app.uows() as uow:
            result = await import_units(uow, rows, app.clock.now(),
                                        known_levels=app.policy.org_levels)
            if result.errors:
                for error in result.errors:
                    _say(error, err=True)
                _say(Msg("org.nothing_imported", count=len(result.errors)), err=True)
                return 2
            await uow.commit()
        for warning in result.warnings:
            _say(warning, err=True)
        _say(Msg("org.imported", added=result.added, updated=result.updated))
        return 0

    code = _with_app(body)
    if code:
        raise typer.Exit(code)


@form_cli.command("import")
def form_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Import a survey form from an XLSForm .xlsx (survey, choices, settings sheets)."""
    try:
        data = file.read_bytes()
    except OSError:
        _say(Msg("cli.form.unreadable", path=str(file)), err=True)
        raise typer.Exit(2) from None

    async def body(app: App) -> int:
        assert app.forms is not None
        async with app.uows() as uow:
            try:
                done = await app.forms.store(uow, data, file.name, app.clock.now())
            except ImportRefused as refused:
                _say(refused.msg, err=True)
                return 2
            await uow.commit()
        _say(Msg(f"cli.form.{done.outcome}", form=done.form.id, version=done.version))
        return 0

    code = _with_app(body)
    if code:
        raise typer.Exit(code)


@org_cli.command("list")
def org_list() -> None:
    """Print the org tree."""

    async def body(app: App) -> None:
        async with app.uows() as uow:
            units = list(await uow.units.all())
        if not units:
            _say(Msg("org.empty"))
            return
        nodes: dict[int, Tree] = {}
        roots: list[Tree] = []
        for u in units:  # ordered by path, so parents come first
            label = f"[bold]{escape(u.code)}[/bold]  {escape(u.name)}"
            if u.level:
                label += f"  [dim]({escape(u.level)})[/dim]"
            parent = nodes.get(u.parent_id) if u.parent_id else None
            node = parent.add(label) if parent else Tree(label)
            if parent is None:
                roots.append(node)
            nodes[u.id] = node
        console = Console()
        for root in roots:
            console.print(root)

    _with_app(body)


@invite_cli.command("create")
def invite_create(
    unit: str = typer.Option(..., "--unit", help="Unit code"),
    role: str = typer.Option(..., "--role", help="chair or official"),
    uses: int = typer.Option(1, "--uses", help="How many people may redeem it"),
    days: int | None = typer.Option(None, "--days", help="Days until it expires"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Create an invite code for a unit and role."""
    settings = Settings()

    async def body(app: App) -> int:
        async with app.uows() as uow:
            try:
                invite = await create_invite(
                    uow, unit_code=unit, role=role, uses=uses,
                    days=days or settings.enrolment.default_invite_days,
                    now=app.clock.now(), created_by="cli",
                )
            except InviteError as exc:
                _say(exc.msg, err=True)
                return 2
            await uow.commit()
        link = settings.telegram.start_link(invite.code)
        expires = invite.expires_at.astimezone(app.tz).isoformat(timespec="minutes")
        if as_json:
            typer.echo(json.dumps({
                "code": invite.code, "telegram_link": link, "unit": invite.unit,
                "role": invite.role, "expires_at": expires,
            }, ensure_ascii=False))
        else:
            _say(Msg("invite.created", code=invite.code, unit=invite.unit, role=invite.role,
                     uses=invite.max_uses, expires=expires, link=link or "-"))
        return 0

    code = _with_app(body)
    if code:
        raise typer.Exit(code)


@cli.command("export")
def export_command(
    period: str = typer.Option(..., "--period", help="2026-10 (month), 2026-Q4 or 2026"),
    unit: str = typer.Option(..., "--unit", help="Unit code: its whole subtree is exported"),
    out: Path = typer.Option(..., "--out", help="The .xlsx file to write"),
    free_text: bool = typer.Option(
        False, "--free-text",
        help="Include free text (descriptions, proposals, resolutions), which may name "
             "workers; withheld by default. The audit log records the choice."),
) -> None:
    """Export a subtree's reports, hot spots and reporting ledger for a period to Excel."""

    async def body(app: App) -> int:
        wanted = parse_period(period)
        if wanted is None:
            _say(Msg("cli.export.bad_period", text=period), err=True)
            return 2
        if not out.parent.is_dir():
            _say(Msg("cli.export.no_folder", folder=str(out.parent)), err=True)
            return 2
        assert app.workbook is not None
        partial = out.with_name(out.name + ".part")
        async with app.uows() as uow:
            top = (await uow.units.by_code(unit.strip())
                   or await uow.units.by_code(unit.strip().upper()))
            if top is None:
                _say(Msg("cli.export.no_unit", code=unit), err=True)
                return 2
            columns = (TextColumn(_translator().text(None, "cli.export.progress")), BarColumn(),
                       MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=Console(stderr=True)) as bar:
                task = bar.add_task("export", total=None)
                summary = await app.workbook.write(
                    uow, top, wanted, partial, EVERYONE if free_text else NOBODY,
                    progress=lambda n: bar.advance(task, n),
                    on_total=lambda n: bar.update(task, total=n))
            await audit_export(uow, summary, app.clock.now(), via="cli", label="cli",
                               free_text="all" if free_text else "withheld")
            await uow.commit()
        partial.replace(out)  # a failed export never leaves half a file under the name
        _say(Msg("cli.export.done", path=str(out), reports=summary.reports,
                 incidents=summary.sheets["incidents"], ledger=summary.sheets["ledger"]))
        return 0

    code = _with_app(body)
    if code:
        raise typer.Exit(code)


@cli.command("status")
def status_command(
    check_tokens: bool = typer.Option(True, "--check-tokens/--no-check-tokens",
                                      help="Ask each messenger whether its token works"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Channels and tokens, quotas, the sending backlog and updates set aside."""

    async def body(app: App) -> None:
        async with app.uows() as uow:
            snap = await snapshot(uow, app.quota_plans())
        tokens = await app.check_tokens() if check_tokens else {}
        if as_json:
            typer.echo(json.dumps({"channels": sorted(app.channels), **snap.to_json(tokens)},
                                  ensure_ascii=False))
            return
        for line in status_lines(snap, tokens, sorted(app.channels), app.tz):
            _say(line)

    _with_app(body)


@cli.command("chat")
def chat_command(as_: str = typer.Option(..., "--as", help="Console identity to chat as")) -> None:
    """Chat with the bot in this terminal; lines can be piped in."""

    async def body(app: App) -> None:
        await console_chat(app, as_, sys.stdin, sys.stdout)

    _with_app(body, channels=[ConsoleChannel(sys.stdout, me=as_, downloads=Path.cwd())])


@cli.command()
def demo() -> None:
    """Seed a demo province (2 upper-level units, 6 CĐCS, a demo chair) and open a chat."""

    async def body(app: App) -> None:
        await upgrade(app.db)
        async with app.uows() as uow:
            await seed_demo(uow, app.clock.now(), channel=CONSOLE)
            # The current periods are open at once (the chair sees what is due, /dinhky).
            if app.calendar is not None:
                await app.calendar.plan(uow, app.clock.now())
            await uow.commit()
        _say(Msg("cli.demo_seeded"))
        _say(Msg("cli.console_banner", identity=DEMO_CHAIR[0]))
        await _chat_beside_web(app)

    _with_app(body, channels=[ConsoleChannel(sys.stdout, me=DEMO_CHAIR[0],
                                             downloads=Path.cwd())], require_schema=False)


def main() -> None:
    """The console script: any failure is one line and exit code 2."""
    try:
        cli()
    except ValidationError as exc:
        typer.echo(_translator().render(None, Msg("cli.bad_settings",
                                                  problems=settings_problems(exc))), err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        problem = logredact.redact(f"{type(exc).__name__}: {exc}").splitlines()
        typer.echo(_translator().render(None, Msg("cli.failed",
                                                  problem=problem[0] if problem else "")),
                   err=True)
        sys.exit(2)


def settings_problems(exc: ValidationError) -> str:
    """What is wrong with the settings, by variable name; never the value (it may be a
    token: pydantic's own message quotes part of it)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        name = "TINHHINH_" + "__".join(str(p).upper() for p in error["loc"] if p != "__root__")
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{name}: {message}" if error["loc"] else message)
    return "; ".join(problems)
