"""One message to the chairs of many units, in one statement (a directive, a survey's link).

A use case renders its message once per language with markers where each unit's own values
go (its name, its members' token, its row's number); the pieces are joined in SQL, and one
INSERT ... SELECT queues a message to the first reachable account of every chair of the
selected rows. The dedupe key names the message, the row and the account, so running it again
adds nothing. 1,000 units or 100,000 cost the same statement.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Text, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import json_builders, upsert
from storage.models import ChannelIdentity, Membership, OrgUnit, OutboxMessage, Person
from storage.repositories.outbox import PRIORITY
from storage.repositories.people import first_reachable_account

# Markers in a rendered text where a row's own value goes.
UNIT, TOKEN, REF = "\x00unit\x00", "\x00token\x00", "\x00ref\x00"
_SLOTS = re.compile("(\x00unit\x00|\x00token\x00|\x00ref\x00)")


@dataclass(frozen=True)
class Sent:
    """One language's message to every chair of the selected rows.

    ``text``, ``hint`` and ``file_url`` hold the markers above; ``buttons`` are (reply-code
    verb, label) and get the row's id; ``link`` is the label of a sign-in link to the row's
    page (made when the message leaves); ``file`` is a stored file sent where files go.
    """

    language: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    link: str | None = None
    file: tuple[int, str] | None = None  # (stored file id, name)
    file_url: str | None = None
    file_label: str = ""


@dataclass(frozen=True)
class UnitRows:
    """Rows of a table with ``id``, ``unit_id`` and ``token`` columns (one per unit of a
    directive, of a survey...), those matching ``where``; ``page`` is the path of a row's
    own page (its id follows), for messages that link to it."""

    table: Any
    where: list[ColumnElement[bool]]
    page: str | None = None


def new_token() -> str:
    return secrets.token_urlsafe(16)


def plausible_token(token: str) -> bool:
    """The shape ``new_token`` makes: a typed or tampered link is refused before any query."""
    return 10 <= len(token) <= 32 and all(c.isalnum() or c in "-_" for c in token)


def _text(value: str) -> Any:
    return cast(literal(value), Text)  # typed, so PostgreSQL's json builders accept it


def _pieces(value: str, slots: dict[str, Any]) -> Any:
    """A text with markers as one SQL string expression."""
    out: Any = None
    for piece in _SLOTS.split(value):
        if not piece:
            continue
        part = slots[piece] if piece in slots else _text(piece)
        out = part if out is None else out.concat(part)
    return out if out is not None else _text("")


async def to_chairs(s: AsyncSession, rows: UnitRows, sent: Sent, default_language: str,
                    now: datetime, *, kind: str, key: str) -> int:
    """Queue ``sent`` to the first reachable account of every chair of the rows' units whose
    language is ``sent.language``; returns how many messages were queued."""
    obj, arr = json_builders(s)
    t = rows.table
    ref = cast(t.id, String)
    slots = {UNIT: OrgUnit.name, TOKEN: t.token, REF: ref}
    fields: list[Any] = [_text("text"), _pieces(sent.text, slots)]
    if sent.buttons:
        fields += [_text("codes"), arr(*(arr(_text(f"{verb} ").concat(ref), _text(label))
                                         for verb, label in sent.buttons)),
                   _text("code_hint"), _pieces(sent.hint, slots)]
    if sent.link is not None:
        assert rows.page is not None, "a message linking to its row's page needs the page"
        fields += [_text("link"), obj(_text("url"), _text(""), _text("label"),
                                      _text(sent.link), _text("path"),
                                      _text(rows.page).concat(ref))]
    if sent.file is not None:
        fields += [_text("file"), obj(_text("id"), literal(sent.file[0]), _text("kind"),
                                      _text("document"), _text("name"), _text(sent.file[1]))]
    if sent.file_url is not None:
        fields += [_text("file_link"), obj(_text("url"), _pieces(sent.file_url, slots),
                                           _text("label"), _text(sent.file_label))]
    dedupe = (_text(f"{key}:").concat(ref).concat(_text(":"))
              .concat(cast(ChannelIdentity.id, String)))
    chosen = (
        select(ChannelIdentity.id, ChannelIdentity.channel, ChannelIdentity.address,
               literal(kind), literal(PRIORITY[kind]), obj(*fields), literal("pending"),
               literal(0), literal(now, OutboxMessage.next_attempt_at.type), dedupe,
               literal(now, OutboxMessage.created_at.type))
        .select_from(t)
        .join(OrgUnit, OrgUnit.id == t.unit_id)
        .join(Membership, and_(Membership.unit_id == t.unit_id, Membership.role == "chair"))
        .join(Person, Person.id == Membership.person_id)
        .join(ChannelIdentity, ChannelIdentity.id == first_reachable_account(Membership))
        .where(*rows.where,
               func.coalesce(Person.language, default_language) == sent.language)
    )
    stmt = upsert(s, OutboxMessage.__table__).from_select(
        ["identity_id", "channel", "address", "kind", "priority", "payload", "status",
         "attempts", "next_attempt_at", "dedupe_key", "created_at"], chosen,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await s.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
