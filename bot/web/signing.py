"""Signed, expiring addresses for stored media (a report's photos and files).

An address is minted only for someone allowed to read the report (handlers call
``may_read`` first), and the signature is the whole of the permission: Zalo's servers fetch
a photo sent by URL with no cookie of ours. So the address names the file, carries its end
time and an HMAC-SHA256 of both under the server's key (kept in the database, the same for
every process and across restarts), and nothing a person types becomes a path: the ref is a
stored one, checked again to lie under the media folder when served.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, base_url: Callable[[], str | None], lifetime: timedelta,
                 public_url: Callable[[], str | None] = lambda: None) -> None:
        self.base_url = base_url
        self.public_url = public_url
        self.lifetime = lifetime
        self.key: bytes | None = None  # loaded at start-up (bot.web.site.WebSite.prepare)

    def _mac(self, ref: str, until: int) -> str:
        assert self.key is not None
        return _b64(hmac.new(self.key, f"{ref}\n{until}".encode(), hashlib.sha256)
                    .digest()[:18])

    def path(self, ref: str, now: datetime) -> str | None:
        """``/web/media/...`` for a stored file, or None before the key is loaded."""
        if self.key is None:
            return None
        until = int((now + self.lifetime).timestamp())
        return f"/web/media/{_b64(ref.encode())}/{until}/{self._mac(ref, until)}"

    def url(self, ref: str, now: datetime) -> str | None:
        """The full address for a person's browser (None without pages or a key)."""
        return self._full(self.base_url(), ref, now)

    def public(self, ref: str, now: datetime) -> str | None:
        """The address for a messenger's servers to fetch (Zalo's sendPhoto): only with a
        public base URL set, never the console demo's loopback one."""
        return self._full(self.public_url(), ref, now)

    def _full(self, base: str | None, ref: str, now: datetime) -> str | None:
        path = self.path(ref, now)
        if path is None or base is None:
            return None
        return base.rstrip("/") + path

    def check(self, token: str, until: str, mac: str, now: datetime) -> str | None:
        """The ref a signed address names, if its signature holds and it has not ended."""
        if self.key is None or not until.isdigit():
            return None
        try:
            ref = _unb64(token).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(mac, self._mac(ref, int(until))):
            return None
        if int(until) < now.timestamp():
            return None
        return ref
