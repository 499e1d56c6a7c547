"""Channel-neutral use cases the Zalo issue added: reply codes, linking accounts, and bots
bound to subtrees. Messengers here are recording channels; the Zalo adapter itself is shown
end to end in tests/e2e/test_zalo*.py."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.base import CODE_PREFIX, InboundEvent, Option, OutboundMessage
from bot.channels.telegram.channel import CAPABILITIES as TELEGRAM_CAPS
from bot.channels.telegram.keyboard import decode, layout
from bot.channels.zalo.bot import CAPABILITIES as ZALO_CAPS
from bot.clock import ManualClock
from bot.config import Settings
from bot.forms import load_catalog
from handlers.conversation.reply_codes import ReplyCode, ReplyCodeGrammar
from handlers.conversation.routes import ActionRoute
from handlers.conversation.turn import Turn
from storage.models import AuditLog, ChannelIdentity, Fire, Membership, Person
from tests.conftest import RecordingChannel
from tests.helpers import invite, seed

_ids = itertools.count(1)
GRAMMAR = ReplyCodeGrammar.from_data(load_catalog().reply_codes)


def rec(name: str) -> RecordingChannel:
    """A recording channel with the capabilities of the messenger it stands for."""
    caps = TELEGRAM_CAPS if name == "telegram" else ZALO_CAPS
    return RecordingChannel(name, caps)


@pytest.fixture
async def multi(
    db_url: str, clock: ManualClock
) -> AsyncIterator[tuple[App, dict[str, RecordingChannel]]]:
    channels = {n: rec(n) for n in ("telegram", "zalo", "zalo.kcn")}
    settings = Settings(
        database_url=db_url,
        zalo={"token": "zalo-main-token-123", "title": "Zalo LĐLĐ Bắc Hà",
              "units": ["DEMO_HUYEN"],
              "bots": [{"name": "kcn", "title": "Zalo Công đoàn KCN",
                        "token": "zalo-kcn-token-456", "units": ["DEMO_KCN"]}]},
        _env_file=None,  # type: ignore[call-arg]
    )
    app = build_app(settings, clock=clock, channels=list(channels.values()))
    await seed(app)
    yield app, channels
    await app.close()


async def say(app: App, channel: str, who: str, text: str | None = None, **kw: object) -> None:
    await app.inbound.handle(InboundEvent(channel=channel, event_id=f"u{next(_ids)}",
                                          sender_id=who, chat_id=who, text=text,
                                          **kw))  # type: ignore[arg-type]
    await app.delivery.drain()


async def count(app: App, model: object, **where: object) -> int:
    async with app.uows() as uow:
        stmt = select(func.count()).select_from(model).filter_by(**where)  # type: ignore[arg-type]
        return int(await uow.session.scalar(stmt) or 0)


# -- the grammar ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("TN 12", ReplyCode("acknowledge", 12, None)),
    ("tn12", ReplyCode("acknowledge", 12, None)),
    ("Tiếp nhận #12", ReplyCode("acknowledge", 12, None)),
    ("tiep nhan 12", ReplyCode("acknowledge", 12, None)),
    ("/tn 7", ReplyCode("acknowledge", 7, None)),
    ("GQ 12: đã trả đủ lương tháng 10", ReplyCode("resolve", 12, "đã trả đủ lương tháng 10")),
    ("gq 12 - da tra du luong", ReplyCode("resolve", 12, "da tra du luong")),
    ("GC 3 đã gọi điện cho giám đốc", ReplyCode("note", 3, "đã gọi điện cho giám đốc")),
    ("GQ 12", ReplyCode("resolve", 12, None)),  # the use case asks for the missing note
    ("mo lai 4 vẫn chưa trả", ReplyCode("reopen", 4, "vẫn chưa trả")),
    # Not codes: an answer that only starts like one, unknown verbs, no number.
    ("tn 2 nguoi bi thuong", None),
    ("XY 12", None),
    ("TN", None),
    ("12", None),
    ("Công nhân ngừng việc 2 ngày", None),
])
def test_reply_codes_are_read_with_or_without_diacritics_and_spaces(
    text: str, expected: ReplyCode | None
) -> None:
    assert GRAMMAR.parse(text) == expected


def test_a_code_button_on_telegram_carries_the_same_code() -> None:
    codes = (Option("TN 12", "Tiếp nhận"), Option("GQ 12", "Đã giải quyết"))
    message = OutboundMessage("Điểm nóng số 12", owner="555", codes=codes)
    _, markup = layout(message)
    assert markup is not None
    (row,) = markup.inline_keyboard
    assert [b.text for b in row] == ["Tiếp nhận", "Đã giải quyết"]
    press = decode(row[0].callback_data)
    assert press is not None and press.owner == "555"
    assert press.key == CODE_PREFIX + "TN 12" and GRAMMAR.parse(press.key[1:]) == ReplyCode(
        "acknowledge", 12, None)


async def test_registered_reply_codes_reach_their_use_case_from_typed_text_and_buttons(
    multi: tuple[App, dict[str, RecordingChannel]],
) -> None:
    app, ch = multi
    seen: list[tuple[str, ReplyCode]] = []

    async def acknowledge(turn: Turn, code: ReplyCode) -> None:
        seen.append((turn.identity.channel, code))
        await turn.uow.audit.write("test.acknowledged", turn.now, subject=str(code.ref),
                                   person_id=turn.person.id)

    assert app.dispatcher is not None
    app.dispatcher.actions.replace("acknowledge", ActionRoute(acknowledge, "officials"))
    await say(app, "zalo", "off1", await invite(app, "DEMO_HUYEN", role="official"))
    await say(app, "zalo", "off1", "tro giup")
    assert "«TN <số>» – Tiếp nhận" in ch["zalo"].texts("off1")[-1]
    await say(app, "zalo", "off1", "tn 12")  # typed on Zalo
    await say(app, "telegram", "9001", await invite(app, "DEMO_TINH", role="official"))
    await say(app, "telegram", "9001", code="TN 13")  # a button press on Telegram
    assert seen == [("zalo", ReplyCode("acknowledge", 12, None)),
                    ("telegram", ReplyCode("acknowledge", 13, None))]
    assert await count(app, AuditLog, action="test.acknowledged") == 2
    # A chair's text that reads like a code is an answer, not an action.
    await say(app, "zalo", "chair1", await invite(app, "DEMO_CS1"))
    await say(app, "zalo", "chair1", "tn 5")
    assert len(seen) == 2


# -- bots bound to subtrees ------------------------------------------------------------------
async def test_each_zalo_bot_enrols_only_the_units_of_its_subtree(
    multi: tuple[App, dict[str, RecordingChannel]],
) -> None:
    app, ch = multi
    code = await invite(app, "DEMO_CS4")  # under DEMO_KCN
    await say(app, "zalo", "z1", code)
    assert ch["zalo"].texts("z1")[-1] == (
        "Đơn vị CĐCS Công ty CP Giày Da Phương Nam dùng Zalo bot «Zalo Công đoàn KCN». "
        "Hãy gửi mã mời cho bot đó.")
    assert await count(app, Membership, role="chair") == 1  # the demo chair only
    await say(app, "zalo.kcn", "k1", code)  # the same code, unused, on the right bot
    assert "Chào mừng" in ch["zalo.kcn"].texts("k1")[-1]
    assert await count(app, Membership, role="chair") == 2
    # Telegram serves everyone.
    await say(app, "telegram", "9002", await invite(app, "DEMO_CS5"))
    assert "Chào mừng" in ch["telegram"].texts("9002")[-1]


# -- linking ------------------------------------------------------------------------------
def consent_code(message: OutboundMessage, action: str = "LK") -> str:
    """The code of a consent question's button ("LK 3"), as Telegram would send it back."""
    return next(o.key for o in message.codes if o.key.startswith(action + " "))


async def roles_of(app: App, channel: str, who: str) -> list[tuple[str, str]]:
    async with app.uows() as uow:
        identity = await uow.session.scalar(select(ChannelIdentity).filter_by(
            channel=channel, external_id=who))
        assert identity is not None
        return [(m.role, u.code) for m, u in await uow.memberships.of_person(identity.person_id)]


async def test_linking_asks_the_account_that_made_the_code_and_never_moves_roles_to_a_stranger(
    multi: tuple[App, dict[str, RecordingChannel]], clock: ManualClock,
) -> None:
    app, ch = multi
    await say(app, "telegram", "9003", await invite(app, "DEMO_CS2"), display_name="Vàng Mai")
    await say(app, "zalo", "z9", "xin chao", display_name="Chị Hoa")  # a stranger so far
    await say(app, "telegram", "9003", "lien ket")
    code = ch["telegram"].texts("9003")[-1].split(": ")[1][:6]
    # Wrong, same-app and expired codes change nothing.
    people_before = await count(app, Person)
    await say(app, "zalo", "z9", "/lienket ABC234")
    assert "không đúng" in ch["zalo"].texts("z9")[-1]
    await say(app, "telegram", "9004", f"lienket {code}")
    assert "cùng ứng dụng" in ch["telegram"].texts("9004")[-1]
    clock.advance(timedelta(minutes=16))
    await say(app, "zalo", "z9", f"lien ket {code}")
    assert "hết hạn" in ch["zalo"].texts("z9")[-1]
    assert await count(app, Person) == people_before + 1  # 9004 wrote: a new stranger
    people_before += 1

    # The code typed on Zalo asks the Telegram account, naming who typed it; nothing moves yet.
    await say(app, "telegram", "9003", "lienket")
    code = ch["telegram"].texts("9003")[-1].split(": ")[1][:6]
    await say(app, "zalo", "z9", f"lienket {code}")
    assert ch["zalo"].texts("z9")[-1].startswith(
        "Đã gửi yêu cầu liên kết tới tài khoản Telegram «Vàng Mai».")
    ask = ch["telegram"].sent[-1][1]
    assert ask.text.startswith("🔗 Tài khoản Zalo «Chị Hoa» vừa nhập mã liên kết của đồng chí.")
    assert [o.label for o in ask.codes] == ["Đồng ý liên kết", "Từ chối"]
    assert await roles_of(app, "zalo", "z9") == []
    # Refused: nothing changes, the Zalo account is told.
    await say(app, "telegram", "9003", code=consent_code(ask, "KLK"))
    assert ch["zalo"].texts("z9")[-1] == "Tài khoản kia đã từ chối liên kết. Không có gì thay đổi."
    assert await roles_of(app, "zalo", "z9") == []
    # Another code, agreed to: one person, the chair's role on both accounts.
    await say(app, "telegram", "9003", "lienket")
    code = ch["telegram"].texts("9003")[-1].split(": ")[1][:6]
    await say(app, "zalo", "z9", f"lienket {code}")
    await say(app, "telegram", "9003", code=consent_code(ch["telegram"].sent[-1][1]))
    assert "Đã liên kết với tài khoản Zalo" in ch["telegram"].texts("9003")[-1]
    assert "Đã liên kết với tài khoản Telegram" in ch["zalo"].texts("z9")[-1]
    assert await count(app, Person) == people_before - 1
    assert await roles_of(app, "zalo", "z9") == [("chair", "DEMO_CS2")]
    # The Zalo account now files for the unit.
    await say(app, "zalo", "z9", "bao cao")
    assert "CĐCS Trường THCS Bảo Nhai" in "\n".join(ch["zalo"].texts("z9")[-2:])
    # A used code cannot be used again.
    await say(app, "zalo.kcn", "k8", f"lienket {code}")
    assert "không đúng hoặc đã dùng" in ch["zalo.kcn"].texts("k8")[-1]


async def test_an_officials_account_cannot_be_joined_to_anyone_elses(
    multi: tuple[App, dict[str, RecordingChannel]],
) -> None:
    app, ch = multi
    await say(app, "telegram", "9101", await invite(app, "DEMO_HUYEN", role="official"),
              display_name="Cán bộ Lan")
    await say(app, "zalo", "z101", await invite(app, "DEMO_CS3"), display_name="Chủ tịch Tú")
    # The chair gets the official to type the chair's code: refused, nothing moves.
    await say(app, "zalo", "z101", "lienket")
    code = ch["zalo"].texts("z101")[-1].split(": ")[1][:6]
    await say(app, "telegram", "9101", f"lienket {code}")
    assert ch["telegram"].texts("9101")[-1].startswith(
        "Tài khoản này đã có vai trò trong hệ thống nên không thể gộp vào tài khoản khác.")
    assert not [t for t in ch["zalo"].texts("z101") if "vừa nhập mã" in t]
    assert await roles_of(app, "zalo", "z101") == [("chair", "DEMO_CS3")]
    # A stranger types the official's code: the official is asked, by name, and says no.
    await say(app, "telegram", "9101", "lienket")
    code = ch["telegram"].texts("9101")[-1].split(": ")[1][:6]
    await say(app, "zalo", "z666", f"lienket {code}", display_name="Người lạ")
    ask = ch["telegram"].sent[-1][1]
    assert "Tài khoản Zalo «Người lạ» vừa nhập mã liên kết" in ask.text
    await say(app, "telegram", "9101", code=consent_code(ask, "KLK"))
    assert await roles_of(app, "zalo", "z666") == []
    assert await roles_of(app, "telegram", "9101") == [("official", "DEMO_HUYEN")]
    # The stranger cannot answer the question meant for the official's account.
    await say(app, "telegram", "9101", "lienket")
    code = ch["telegram"].texts("9101")[-1].split(": ")[1][:6]
    await say(app, "zalo", "z666", f"lienket {code}", display_name="Người lạ")
    await say(app, "zalo", "z666", consent_code(ch["telegram"].sent[-1][1]))
    assert ch["zalo"].texts("z666")[-1] == "Không có yêu cầu liên kết nào đang chờ với số này."
    assert await roles_of(app, "zalo", "z666") == []
    async with app.uows() as uow:
        audit = [(a.action, a.details.get("reason"))
                 for a in (await uow.session.scalars(select(AuditLog).where(
                     AuditLog.action.like("link%") | (AuditLog.action == "identity.linked"))
                     .order_by(AuditLog.id))).all()]
    assert audit == [("link.refused", "has_roles"), ("link.requested", None),
                     ("link.refused", "declined"), ("link.requested", None)]


async def test_an_export_asked_on_zalo_goes_to_linked_telegram_or_says_how_to_get_it(
    multi: tuple[App, dict[str, RecordingChannel]], clock: ManualClock,
) -> None:
    app, ch = multi
    await say(app, "zalo", "z20", await invite(app, "DEMO_HUYEN", role="official"))
    await say(app, "zalo", "z20", "xuat 2026-11")
    assert ch["zalo"].texts("z20")[-1] == (
        "Zalo không gửi được tệp Excel. Để nhận Tháng 11/2026:\n"
        "1. Liên kết tài khoản Telegram: gõ /lienket rồi làm theo hướng dẫn, sau đó gõ /xuat "
        "2026-11 trên Telegram; hoặc\n"
        "2. Nhờ quản trị viên chạy lệnh: tinhhinh export --period 2026-11 --unit DEMO_HUYEN "
        "--out DEMO_HUYEN-2026-11.xlsx")
    assert await count(app, Fire, kind="export.build") == 0

    await say(app, "zalo", "z20", "lienket")
    code = ch["zalo"].texts("z20")[-1].split(": ")[1][:6]
    await say(app, "telegram", "9020", f"lienket {code}")
    await say(app, "zalo", "z20", consent_code(ch["zalo"].sent[-1][1]))  # "LK n", typed
    await say(app, "zalo", "z20", "xuat thang 11/2026")
    assert ch["zalo"].texts("z20")[-1] == (
        "⏳ Đang tạo tệp Excel Tháng 11/2026 của Liên đoàn Lao động huyện Bắc Hà (demo). Zalo "
        "không gửi được tệp nên bot sẽ gửi qua Telegram của đồng chí.")
    await app.fires.run_once()
    await app.delivery.drain()
    [sent] = [m for a, m in ch["telegram"].sent if a == "9020" and m.file is not None]
    assert sent.file is not None and sent.file.name == "tinhhinh-DEMO_HUYEN-2026-11.xlsx"
    assert sent.file.data is not None and sent.file.data[:2] == b"PK"  # a zip: an .xlsx
    assert not [m for _, m in ch["zalo"].sent if m.file is not None]


async def test_a_zalo_official_gets_the_digest_as_text_without_the_chart(
    multi: tuple[App, dict[str, RecordingChannel]], clock: ManualClock,
) -> None:
    app, ch = multi
    await say(app, "zalo", "z30", await invite(app, "DEMO_HUYEN", role="official"))
    await say(app, "telegram", "9031", await invite(app, "DEMO_CS1"))
    for line in ("/baocao", "2", "binh thuong", "5", "Công nhân hỏi về tiền thưởng cuối năm",
                 "1", "xong", "gửi"):
        await say(app, "telegram", "9031", line)
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    clock.set(monday)
    await app.start_timers()
    for _ in range(2):
        await app.fires.run_once()
    await app.delivery.drain()
    [digest] = [m for m in ch["zalo"].sent if m[1].text.startswith("📊 Bản tin tuần")]
    assert digest[0] == "z30" and digest[1].file is None
    assert "📝 Báo cáo mới: 1 (tuần trước: 0)" in digest[1].text
    assert "Tiền thưởng, phúc lợi: 1" in digest[1].text
