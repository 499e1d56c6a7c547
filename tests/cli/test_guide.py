"""The user guides' transcripts (docs/transcripts/) are real console chats, replayed here on a
manual clock and compared whole; every ```text block quoted in the guides must appear in them.
Set UPDATE_GOLDEN=1 to rewrite the transcripts after an intended change."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.channels.base import OutboundMessage, Quiet, SendResult
from bot.channels.console import CAPABILITIES as CONSOLE_CAPS
from bot.channels.console import NAME as CONSOLE
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.config import Settings
from bot.console_chat import chat
from tests.cli.test_golden import Lines, check_golden
from tests.handlers.week import at, local
from tests.helpers import seed

DOCS = Path(__file__).resolve().parents[2] / "docs"
CODE = "KM7X4QPA"
PEOPLE = ("chu_tich", "canbo")


class Desks(Quiet):
    """The console channel, one terminal per person: each reads only their own messages."""

    name = CONSOLE
    capabilities = CONSOLE_CAPS

    def __init__(self) -> None:
        self.outs = {who: io.StringIO() for who in PEOPLE}
        self.consoles = {who: ConsoleChannel(self.outs[who], me=who) for who in PEOPLE}

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        return await self.consoles[address].send(address, message)


async def part(app: App, desks: Desks, who: str, *lines: str) -> None:
    await chat(app, who, Lines("\n".join(lines) + "\n"), desks.outs[who])


async def replay(sqlite_url: str) -> dict[str, str]:
    clock = ManualClock(local(2026, 11, 2, 8, 0))
    desks = Desks()
    app = build_app(Settings(database_url=sqlite_url, _env_file=None),  # type: ignore[call-arg]
                    clock=clock, channels=[desks])
    try:
        await seed(app)
        async with app.uows() as uow:
            unit = await uow.units.by_code("DEMO_CS2")
            assert unit is not None
            await uow.invites.create(CODE, unit.id, "chair", 1, clock.now() + timedelta(days=7),
                                     "test", clock.now())
            await uow.commit()
        await app.start_timers()
        await at(app, clock, local(2026, 11, 2, 8, 0))

        await at(app, clock, local(2026, 11, 3, 9, 0))
        await part(app, desks, "chu_tich", f"/start {CODE}", "/hanbaocao", "/baocao", "1",
                   "can chu y", "35", "Công ty chậm trả lương tháng 10 cho 35 công nhân tổ may",
                   "chua", "Đề nghị LĐLĐ huyện làm việc với công ty", "xong", "gửi")
        await at(app, clock, local(2026, 11, 3, 9, 5))
        await at(app, clock, local(2026, 11, 3, 9, 30))
        await part(app, desks, "canbo", "/trogiup", "/diemnong", "TN 1")
        await at(app, clock, local(2026, 11, 3, 16, 0))
        await part(app, desks, "canbo", "GQ 1: Công ty cam kết trả đủ lương trước 10/11")
        await at(app, clock, local(2026, 11, 5, 10, 0))
        await part(app, desks, "chu_tich", "/dinhky", "khong co gi moi", "1", "/lichsu")
        await at(app, clock, local(2026, 11, 10, 9, 0))
        await part(app, desks, "canbo", "/thongke", "/xuat 2026-11")
        await at(app, clock, local(2026, 11, 10, 9, 1))
        await at(app, clock, local(2026, 11, 25, 9, 0))
        await part(app, desks, "canbo", "/quahan")
    finally:
        await app.close()
    return {who: out.getvalue() for who, out in desks.outs.items()}


async def test_the_guides_show_real_transcripts(sqlite_url: str) -> None:
    transcripts = await replay(sqlite_url)
    check_golden("chu-tich.txt", transcripts["chu_tich"], DOCS / "transcripts")
    check_golden("can-bo.txt", transcripts["canbo"], DOCS / "transcripts")
    for guide, who in (("huong-dan-chu-tich.md", "chu_tich"), ("huong-dan-can-bo.md", "canbo")):
        quoted = re.findall(r"```text\n(.*?)```", (DOCS / guide).read_text(encoding="utf-8"),
                            re.S)
        assert quoted, guide
        for block in quoted:
            assert block in transcripts[who], (guide, block)
