"""A seeded month for the officials' views (digest, /thongke, /quahan, exports).

The demo tree: DEMO_TINH > DEMO_HUYEN > DEMO_CS1..3 and DEMO_TINH > DEMO_KCN > DEMO_CS4..6.
Chairs: "demo" (CS1), "cs2" (CS2), "cs4" (CS4); officials: "canbo" (district), "kcn",
"tinh" (province). Installed 01/10/2026, so October, Q4 and 2026 are owed.

- October's monthly report: CS1 on time (15/10), CS2 nil (19/10), the rest missing and on the
  overdue list since 24/10 (CS3, CS4, CS5, CS6).
- Week of 02-08/11: CS1 a plain report (thuong, 04/11) and a serious one (an_ninh, 05/11,
  incident #1, never acknowledged).
- Week of 09-15/11: CS1 an emergency (ngung_viec, 09/11 10:00, incident #2, acknowledged
  10:30, resolved 10/11 10:00); CS4 a plain report (10/11); CS2 a serious one (an_ninh, 11/11
  09:00, incident #3, acknowledged 11:00) and a plain one (12/11).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import ManualClock
from tests.handlers.test_calendar import MONTHLY
from tests.helpers import NGUNG_VIEC, invite, say, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SERIOUS = ["/baocao", "11", "binh thuong", "10",
           "Có người lạ kích động công nhân tụ tập trước cổng", "2", "xong", "gửi"]
PLAIN = ["/baocao", "2", "binh thuong", "5", "Công nhân hỏi về tiền thưởng cuối năm", "1",
         "xong", "gửi"]
EMERGENCY = [*NGUNG_VIEC, "gửi"]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


async def at(app: App, clock: ManualClock, when: datetime) -> None:
    """Let the clock reach ``when`` and run what is due (twice: a fire may make fires)."""
    clock.set(when)
    for _ in range(2):
        await app.fires.run_once()
    await app.delivery.drain()


async def seeded_month(app: App, clock: ManualClock) -> None:
    clock.set(local(2026, 10, 1, 9, 0))
    await seed(app)
    for who, unit, role in (("cs2", "DEMO_CS2", "chair"), ("cs4", "DEMO_CS4", "chair"),
                            ("tinh", "DEMO_TINH", "official"), ("kcn", "DEMO_KCN", "official")):
        await say(app, who, await invite(app, unit, role=role))
    await app.start_timers()
    await at(app, clock, local(2026, 10, 1, 9, 0))
    await at(app, clock, local(2026, 10, 15, 10, 0))
    await say(app, "demo", "/dinhky", "1", *MONTHLY)
    await at(app, clock, local(2026, 10, 19, 10, 0))
    await say(app, "cs2", "khong co gi moi", "1")
    await at(app, clock, local(2026, 10, 24, 8, 0))
    for when, who, lines in (
        (local(2026, 11, 4, 10, 0), "demo", PLAIN),
        (local(2026, 11, 5, 9, 0), "demo", SERIOUS),
        (local(2026, 11, 9, 10, 0), "demo", EMERGENCY),
        (local(2026, 11, 9, 10, 30), "canbo", ["TN 2"]),
        (local(2026, 11, 10, 9, 0), "cs4", PLAIN),
        (local(2026, 11, 10, 10, 0), "canbo", ["GQ 2: Đã làm việc với công ty, trả đủ lương"]),
        (local(2026, 11, 11, 9, 0), "cs2", SERIOUS),
        (local(2026, 11, 11, 11, 0), "canbo", ["TN 3"]),
        (local(2026, 11, 12, 14, 0), "cs2", PLAIN),
    ):
        await at(app, clock, when)
        await say(app, who, *lines)
        await at(app, clock, when)
