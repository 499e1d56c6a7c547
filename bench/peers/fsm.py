"""Peers (a) and (b): the same eight-question flow as a plain aiogram 3 FSM bot.

(a) keeps state in MemoryStorage: the ceiling for a bot that forgets everything on restart.
(b) keeps it in aiogram-sqlalchemy-storage, the durable FSM storage from PyPI, and stores the
finished report in the same database: what a team would pick to make (a) survive restarts.
"""

from __future__ import annotations

from aiogram import Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import Message
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

AREAS = ["tien_luong", "thuong", "thoi_gio", "attvld", "bhxh", "viec_lam", "ngung_viec",
         "khieu_nai", "tu_tuong", "doi_song", "an_ninh", "khac"]
LEVELS = ["binh_thuong", "can_chu_y", "nghiem_trong", "khan_cap"]
STATUS = ["da_xong", "dang_xu_ly", "chua", "can_ho_tro"]



def report_table(metadata: MetaData) -> Table:
    return Table("peer_report", metadata, Column("id", Integer, primary_key=True),
                 Column("user_id", String(32)), Column("answers", Text))


class Report(StatesGroup):
    area = State()
    level = State()
    workers = State()
    text = State()
    status = State()
    files = State()
    confirm = State()


def _pick(options: list[str], text: str) -> str | None:
    return options[int(text) - 1] if text.isdecimal() and 1 <= int(text) <= len(options) else None


def build(
    storage: BaseStorage,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    reports: Table | None = None,
) -> Dispatcher:
    router = Router()
    _first_questions(router)
    _last_questions(router, sessions, reports)
    dispatcher = Dispatcher(storage=storage)
    dispatcher.include_router(router)
    return dispatcher


async def _choice(message: Message, state: FSMContext, key: str, options: list[str],
                  nxt: State, question: str) -> None:
    value = _pick(options, message.text or "")
    if value is None:
        await message.answer("Hãy chọn một số trong danh sách.")
        return
    await state.update_data({key: value})
    await state.set_state(nxt)
    await message.answer(question)


def _first_questions(router: Router) -> None:
    @router.message(Command("baocao"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Report.area)
        await message.answer("Câu 1. Lĩnh vực phát sinh?")

    @router.message(Report.area, F.text)
    async def area(message: Message, state: FSMContext) -> None:
        await _choice(message, state, "linh_vuc", AREAS, Report.level, "Câu 2. Mức độ?")

    @router.message(Report.level, F.text)
    async def level(message: Message, state: FSMContext) -> None:
        await _choice(message, state, "muc_do", LEVELS, Report.workers, "Câu 3. Số người?")

    @router.message(Report.workers, F.text)
    async def workers(message: Message, state: FSMContext) -> None:
        text = (message.text or "").strip()
        if not text.isdecimal():
            await message.answer("Nhập một số.")
            return
        await state.update_data(so_nguoi=int(text))
        await state.set_state(Report.text)
        await message.answer("Câu 4. Mô tả ngắn sự việc")


def _last_questions(router: Router, sessions: async_sessionmaker[AsyncSession] | None,
                    reports: Table | None) -> None:
    @router.message(Report.text, F.text)
    async def describe(message: Message, state: FSMContext) -> None:
        await state.update_data(mo_ta=message.text)
        await state.set_state(Report.status)
        await message.answer("Câu 5. Tình trạng xử lý?")

    @router.message(Report.status, F.text)
    async def status(message: Message, state: FSMContext) -> None:
        await _choice(message, state, "tinh_trang", STATUS, Report.files, "Câu 6. Ảnh, tài liệu")

    @router.message(Report.files, F.text)
    async def files(message: Message, state: FSMContext) -> None:
        await state.set_state(Report.confirm)
        data = await state.get_data()
        await message.answer("Kiểm tra lại:\n" + "\n".join(f"{k}: {v}" for k, v in data.items()))

    @router.message(Report.confirm, F.text)
    async def confirm(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        if sessions is not None and reports is not None:
            async with sessions() as session:
                await session.execute(insert(reports).values(
                    user_id=str(message.chat.id), answers=repr(data)))
                await session.commit()
        await state.clear()
        await message.answer("Đã gửi báo cáo.")
