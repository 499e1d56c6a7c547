"""Importing a survey form from Excel, on both databases: stored with its version; the same
file changes nothing; a changed file replaces the version nobody uses, and becomes the next
version of one in use (the earlier kept as it was); a shipped form or a broken file is refused
and nothing is stored."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.i18n import Translator
from handlers.surveys.forms import ImportRefused
from storage.models import AuditLog
from storage.survey_models import FormDefinition
from tests.forms.test_xlsform import SHIPPED, _row, edited

TR = Translator.load(default="vi")


async def stored(app: App) -> list[tuple[str, int, str]]:
    async with app.uows() as uow:
        rows = (await uow.session.scalars(select(FormDefinition).order_by(
            FormDefinition.form_id, FormDefinition.version))).all()
        return [(r.form_id, r.version, r.definition["questions"][0]["label"]["vi"])
                for r in rows]


async def imported(app: App, data: bytes) -> tuple[str, int]:
    assert app.forms is not None
    async with app.uows() as uow:
        done = await app.forms.store(uow, data, "khao_sat_doan_vien.xlsx", app.clock.now())
        await uow.commit()
    return done.outcome, done.version


def relabelled(text: str) -> bytes:
    return edited(lambda b: setattr(_row(b, "doi_song")[2], "value", text))


async def test_versions_are_kept_and_a_form_in_use_is_never_changed_in_place(
        app: App) -> None:
    first = SHIPPED.read_bytes()
    assert await imported(app, first) == ("added", 1)
    assert await imported(app, first) == ("unchanged", 1)
    assert await imported(app, relabelled("Đời sống năm nay?")) == ("replaced", 1)
    assert await stored(app) == [("khao_sat_doan_vien", 1, "Đời sống năm nay?")]
    async with app.uows() as uow:  # someone is filling it in: it is in use
        identity = await uow.identities.get_or_create("console", "ba", "ba", "Ba",
                                                      app.clock.now())
        await uow.conversations.save(identity.person_id, identity_id=identity.id,
                                     unit_id=None, form_id="khao_sat_doan_vien", state={},
                                     now=app.clock.now())
        await uow.commit()
    assert await imported(app, relabelled("Đời sống so với năm trước?")) == ("new_version", 2)
    assert await stored(app) == [("khao_sat_doan_vien", 1, "Đời sống năm nay?"),
                                 ("khao_sat_doan_vien", 2, "Đời sống so với năm trước?")]
    async with app.uows() as uow:
        outcomes = (await uow.session.scalars(
            select(AuditLog.details).where(AuditLog.action == "form.imported")
            .order_by(AuditLog.id))).all()
    assert [d["outcome"] for d in outcomes] == ["added", "replaced", "new_version"]


async def test_a_shipped_form_or_a_broken_file_is_refused_and_nothing_stored(
        app: App) -> None:
    assert app.forms is not None
    shipped = edited(lambda b: setattr(b["settings"]["A2"], "value", "bao_cao_nhanh"))
    broken = edited(lambda b: setattr(_row(b, "viec_lam")[0], "value", "geopoint"))
    said = []
    for data in (shipped, broken):
        async with app.uows() as uow:
            try:
                await app.forms.store(uow, data, "khao_sat_doan_vien.xlsx", app.clock.now())
            except ImportRefused as refused:
                said.append(TR.render("vi", refused.msg))
    assert said == [
        "khao_sat_doan_vien.xlsx: «bao_cao_nhanh» là biểu mẫu có sẵn của hệ thống, không "
        "thay bằng tệp nhập được; hãy đặt form_id khác.",
        "khao_sat_doan_vien.xlsx: trang survey, dòng 5: loại câu hỏi «geopoint» bot không "
        "hỏi được (được dùng: select_one, select_multiple, integer, decimal, text, date, "
        "range, note, begin_group/end_group)."]
    assert await stored(app) == []
