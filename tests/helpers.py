"""Driving a chat in tests: send lines as a console identity and read the replies."""

from __future__ import annotations

import itertools

from bot.app import App
from bot.channels.base import Attachment, InboundEvent
from bot.channels.console import NAME as CONSOLE
from handlers.people.demo import seed_demo
from handlers.people.enrolment import create_invite
from storage.models import Report

_ids = itertools.count(1)


def event(who: str, text: str | None = None, **kw: object) -> InboundEvent:
    return InboundEvent(
        channel="console",
        event_id=str(kw.pop("event_id", f"e{next(_ids)}")),
        sender_id=who,
        chat_id=who,
        display_name=who,
        text=text,
        **kw,  # type: ignore[arg-type]
    )


async def say(app: App, who: str, *lines: str) -> None:
    for line in lines:
        await app.inbound.handle(event(who, line))
    await app.delivery.drain()


async def attach(app: App, who: str, attachment: Attachment) -> None:
    await app.inbound.handle(event(who, attachment=attachment))
    await app.delivery.drain()


async def seed(app: App) -> None:
    async with app.uows() as uow:
        await seed_demo(uow, app.clock.now(), channel=CONSOLE)
        await uow.commit()


async def invite(app: App, unit: str, role: str = "chair", uses: int = 1, days: int = 7) -> str:
    async with app.uows() as uow:
        created = await create_invite(
            uow, unit_code=unit, role=role, uses=uses, days=days, now=app.clock.now(),
            created_by="test",
        )
        await uow.commit()
    return created.code


async def reports(app: App) -> list[Report]:
    from sqlalchemy import select

    async with app.uows() as uow:
        return list((await uow.session.scalars(select(Report).order_by(Report.id))).all())


NGUNG_VIEC = [
    "/baocao", "7", "120", "khan cap",
    "Công nhân ngừng việc vì bị nợ lương hai tháng", "4", "Đề nghị LĐLĐ huyện vào cuộc", "xong",
]
NGUNG_VIEC_ANSWERS = {
    "linh_vuc": "ngung_viec",
    "so_nguoi_ngung_viec": 120,
    "muc_do": "khan_cap",
    "mo_ta": "Công nhân ngừng việc vì bị nợ lương hai tháng",
    "tinh_trang": "can_ho_tro",
    "de_xuat": "Đề nghị LĐLĐ huyện vào cuộc",
}
