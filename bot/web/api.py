"""The read-only JSON API: ``GET /api/v1/{units,reports,incidents,ledger}`` for one subtree,
with ``Authorization: Bearer <token>`` (a token an administrator made on the workplace's API
page for a unit: it reads that unit's subtree as an official of the unit reads it).

Pages are keyset pages: ``?after=<id>&limit=<1..1000>``; each answer carries ``next_after``
(null on the last page). Requests are counted per address before the token is looked up (a
guessing client is slowed before it costs a query) and per token after it (``429`` with
``Retry-After``); every read writes an audit row. Nothing here is cached or framed, and the
token never reaches a log line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.web.throttle import Throttle
from handlers.api.reading import MAX_PAGE, ApiReading, Page
from handlers.api.tokens import ApiTokens, Caller
from storage.uow import UnitOfWork, UnitOfWorkFactory

API = "/api/v1"
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
LISTS = ("units", "reports", "incidents", "ledger")


class BadRequest(ValueError):
    """A query parameter the API cannot read: said in the answer, nothing read."""


def add(app: web.Application, uows: UnitOfWorkFactory, clock: Clock, reading: ApiReading,
        *, per_token: int, per_address: int) -> None:
    r = ApiRoutes(uows, clock, reading, Throttle(per_token), Throttle(per_address))
    for name in LISTS:
        app.router.add_get(f"{API}/{name}", r.handler(name))


def _error(status: int, code: str, **headers: str) -> web.Response:
    return web.json_response({"error": code}, status=status, headers={**HEADERS, **headers})


def _int(query: Any, name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(name)
    return int(text)


def _since(query: Any) -> datetime | None:
    text = query.get("since")
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest("since") from None
    if when.tzinfo is None:
        raise BadRequest("since")  # a time without its zone is a guess
    return when


class ApiRoutes:
    def __init__(self, uows: UnitOfWorkFactory, clock: Clock, reading: ApiReading,
                 per_token: Throttle, per_address: Throttle) -> None:
        self.uows = uows
        self.clock = clock
        self.reading = reading
        self.per_token = per_token
        self.per_address = per_address
        r = reading
        # Each list and how its query is read: one table, every name of LISTS in it.
        self.lists: dict[str, Callable[[UnitOfWork, Caller, dict[str, Any]],
                                       Awaitable[Page]]] = {
            "units": lambda uow, c, q: r.units(uow, c, q["after"], q["limit"]),
            "reports": lambda uow, c, q: r.reports(uow, c, q["after"], q["limit"], q["since"]),
            "incidents": lambda uow, c, q: r.incidents(uow, c, q["after"], q["limit"]),
            "ledger": lambda uow, c, q: r.ledger(uow, c, q["after"], q["limit"], q["kind"],
                                                 q["period"]),
        }
        assert set(self.lists) == set(LISTS)

    def handler(self, name: str) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.answer(request, name)
        return handle

    async def answer(self, request: web.Request, name: str) -> web.StreamResponse:
        if not self.per_address.allow(request.remote or "-"):
            return _error(429, "slow_down", **{"Retry-After": "60"})
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        try:
            query = self._query(request, name)
        except BadRequest as exc:
            return _error(400, f"bad_{exc}")
        async with self.uows() as uow:
            caller = await ApiTokens.caller(uow, secret.strip()) \
                if scheme.lower() == "bearer" else None
            if caller is None:
                return _error(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
            if not self.per_token.allow(str(caller.token_id)):
                return _error(429, "slow_down", **{"Retry-After": "60"})
            page = await self._read(uow, caller, name, query)
            now = self.clock.now()
            await uow.api.used(caller.token_id, now)
            await uow.audit.write("api.read", now, subject=f"api_token:{caller.token_id}",
                                  details={"list": name, "after": query["after"],
                                           "rows": len(page.items)}, label="api")
            await uow.commit()
        return web.json_response({"unit": caller.unit.code, "items": page.items,
                                  "next_after": page.next_after}, headers=HEADERS)

    @staticmethod
    def _query(request: web.Request, name: str) -> dict[str, Any]:
        q = request.query
        found: dict[str, Any] = {"after": _int(q, "after", 0, 0, 2**62),
                                 "limit": _int(q, "limit", MAX_PAGE, 1, MAX_PAGE)}
        if name == "reports":
            found["since"] = _since(q)
        if name == "ledger":
            found["kind"] = q.get("kind", "")[:16] or None
            found["period"] = q.get("period", "")[:16] or None
        return found

    async def _read(self, uow: UnitOfWork, caller: Caller, name: str,
                    q: dict[str, Any]) -> Page:
        return await self.lists[name](uow, caller, q)
