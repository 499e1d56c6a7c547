"""A survey campaign's life, on both databases: opened for the district's CĐCS, answered,
the units where few members answered reminded two days before the end (and only they), closed
the day after, and summed up once in the weekly digest of the week it closed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import ManualClock
from handlers.directives.publishing import Actor
from handlers.figures.digest import week_bounds
from handlers.figures.gather import gather
from storage.survey_models import SurveyCampaign, SurveyResponse
from tests.conftest import RecordingChannel, make_app
from tests.handlers.test_calendar import local
from tests.helpers import invite, say, seed
from tests.web.test_survey_pages import monthly

ANSWER = {"doi_song": "nhu_cu", "viec_lam": "du_viec", "thu_nhap": "duoi_5", "hai_long": "3",
          "van_de": ["bhxh"]}


@pytest.fixture
async def district(db_url: str, channel: RecordingChannel) -> AsyncIterator[App]:
    app = make_app(db_url, ManualClock(local(2026, 10, 1, 9, 0)), channel,
                   http={"public_url": "https://tinhhinh.example.vn"})
    await seed(app)
    await say(app, "cs2", await invite(app, "DEMO_CS2"))
    channel.clear()
    yield app
    await app.close()


async def test_a_campaign_reminds_units_answering_little_closes_and_reaches_the_digest_once(
        district: App, channel: RecordingChannel) -> None:
    cases = district.surveys
    assert cases is not None
    await monthly(district, "DEMO_CS1", 40)
    await monthly(district, "DEMO_CS2", 20)
    async with district.uows() as uow:
        official = await uow.identities._find("console", "canbo")
        huyen = await uow.units.by_code("DEMO_HUYEN")
        assert official is not None and huyen is not None
        campaign = await cases.campaigns.open(
            uow, Actor(official.person_id, official.id, "test"), huyen.id,
            "khao_sat_doan_vien", date(2026, 10, 1), date(2026, 10, 31), district.clock.now())
        await uow.commit()
        links = {u.code: s.token for s, u in await uow.surveys.units(campaign.id)}
    await district.delivery.drain()
    assert [a for a, _ in channel.sent] == ["demo", "cs2"]  # CĐCS 3 has no chair
    assert "https://tinhhinh.example.vn/web/s/" in channel.texts("cs2")[0]
    channel.clear()
    today = date(2026, 10, 2)
    for n, code in enumerate(["DEMO_CS1"] + ["DEMO_CS2"] * 15):
        async with district.uows() as uow:
            _, filled, stored = await cases.pages.answer(
                uow, links[code], f"phone-{n}", ANSWER, today, district.clock.now())
            await uow.commit()
        assert stored, filled and filled.errors
    district.clock.set(local(2026, 10, 29, 8, 0, 1))  # type: ignore[attr-defined]
    await district.fires.run_once()
    await district.delivery.drain()
    # CĐCS 1: 1 of 40 members answered; CĐCS 2: 15 of 20. Only CĐCS 1 is reminded.
    assert [a for a, _ in channel.sent] == ["demo"]
    assert channel.texts("demo")[0].startswith("⏰ Khảo sát «Khảo sát đoàn viên, người lao "
                                              "động» kết thúc ngày 31/10/2026")
    district.clock.set(local(2026, 11, 1, 0, 5, 1))  # type: ignore[attr-defined]
    await district.fires.run_once()
    async with district.uows() as uow:
        closed = await uow.session.scalar(select(SurveyCampaign))
        assert closed is not None and closed.status == "closed"
        digest = district.digest
        assert digest is not None
        texts = []
        for week in (date(2026, 11, 2), date(2026, 11, 9)):
            figures = await gather(uow, huyen, week_bounds(week, digest.tz, 8),
                                   district.clock.now(), week - timedelta(days=1), 48,
                                   district.policy.directives)
            texts.append(digest.text("vi", figures))
    line = ("📋 Khảo sát «Khảo sát đoàn viên, người lao động» đã kết thúc: 16 phiếu trả lời từ "
            "3 CĐCS, tỷ lệ trả lời 27% của 60 đoàn viên.")
    assert texts[0].count(line) == 1 and line not in texts[1]
    # A late answer is not taken.
    async with district.uows() as uow:
        view, _, stored = await cases.pages.answer(uow, links["DEMO_CS1"], "late-phone",
                                                   ANSWER, date(2026, 11, 1),
                                                   district.clock.now())
    assert not stored and view is not None and view.closed is not None


async def test_enrolled_people_answer_a_campaign_in_the_chat_once(
        district: App, channel: RecordingChannel) -> None:
    cases = district.surveys
    assert cases is not None
    async with district.uows() as uow:
        official = await uow.identities._find("console", "canbo")
        huyen = await uow.units.by_code("DEMO_HUYEN")
        assert official is not None and huyen is not None
        await cases.campaigns.open(
            uow, Actor(official.person_id, official.id, "test"), huyen.id,
            "khao_sat_doan_vien", date(2026, 10, 1), date(2026, 10, 31), district.clock.now())
        await uow.commit()
    channel.clear()
    await say(district, "demo", "/khaosat")
    assert "Câu 1. Đời sống của anh/chị năm nay so với năm trước?" in channel.texts("demo")[0]
    await say(district, "demo", "kho khan hon", "1", "2", "5", "5", "xong", "bo qua",
              "bo qua", "gui")
    assert channel.texts("demo")[-1] == "Cảm ơn bạn đã trả lời khảo sát."
    await say(district, "demo", "/khaosat")  # answered: nothing more to answer
    assert channel.texts("demo")[-1].startswith("Hiện không có khảo sát nào đang mở")
    async with district.uows() as uow:
        cs1 = await uow.units.by_code("DEMO_CS1")
        responses = (await uow.session.scalars(select(SurveyResponse))).all()
        demo = await uow.identities._find("console", "demo")
    assert cs1 is not None and demo is not None
    assert [(r.unit_id, r.answers) for r in responses] == [(cs1.id, {
        "doi_song": "kho_khan_hon", "viec_lam": "du_viec", "thu_nhap": "tu_5_den_8",
        "hai_long": 5, "van_de": ["bhxh"]})]
    # The row names nobody: its digest is keyed, not the person's id hashed.
    plain = hashlib.sha256(f"chat:1:{demo.person_id}".encode()).hexdigest()
    assert responses[0].device not in (plain, str(demo.person_id))
