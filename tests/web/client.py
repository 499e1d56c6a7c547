"""A browser without a browser: an aiohttp client with a cookie jar, reading our pages.

The pages are plain HTML forms, so a test can do what a phone does with JavaScript off:
GET a page, read its hidden fields, POST the form. ``html.parser`` reads them (no regex
over markup).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import aiohttp

from bot.app import App
from tests.helpers import say


class Fields(HTMLParser):
    """Inputs, ids and their text: enough to read a form page."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.ids: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("input", "textarea", "button"):
            self.inputs.append({"tag": tag, **a})
        if "id" in a:
            self.ids.setdefault(a["id"], "")
            if tag not in ("input", "img"):
                self._open.append((tag, a["id"]))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            self.ids[ident] += data


def read(html: str) -> Fields:
    parser = Fields()
    parser.feed(html)
    return parser


def hidden(html: str, name: str) -> str:
    return next(i["value"] for i in read(html).inputs if i.get("name") == name)


def text_of(html: str, ident: str) -> str:
    return " ".join(read(html).ids.get(ident, "").split())


LINK = re.compile(r"https?://\S+/web/login/[A-Za-z0-9_-]+")


def links_in(texts: list[str]) -> list[str]:
    return [m for t in texts for m in LINK.findall(t)]


def sent_links(channel: Any, who: str) -> list[str]:
    """The web links in messages to ``who`` (a URL button's address, or a line of text)."""
    return [m.link.url for a, m in channel.sent if a == who and m.link is not None] + \
        links_in(channel.texts(who))


async def ask_link(app: App, channel: Any, who: str) -> str:
    channel.clear()
    await say(app, who, "/web")
    found = sent_links(channel, who)
    assert found, channel.texts(who)
    return found[-1]


class Browser:
    def __init__(self) -> None:
        # Our server is an IP address: the default jar keeps no cookies for those.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, url: str) -> tuple[int, str]:
        async with self.http.get(url) as r:
            return r.status, await r.text()

    async def get_bytes(self, url: str) -> tuple[int, bytes, str]:
        async with self.http.get(url) as r:
            return r.status, await r.read(), r.headers.get("Content-Type", "")

    async def post(self, url: str, data: Any, **kw: Any) -> tuple[int, str, str]:
        async with self.http.post(url, data=data, **kw) as r:
            return r.status, await r.text(), str(r.url)

    async def sign_in(self, link: str) -> tuple[int, str, str]:
        status, page = await self.get(link)
        assert status == 200, page
        return await self.post(link, {"pre": hidden(page, "pre")})


async def signed_in(app: App, channel: Any, who: str) -> tuple[Browser, str, str]:
    """A new browser signed in from ``who``'s chat link: (browser, the site's base address,
    the session's CSRF token)."""
    browser = Browser()
    link = await ask_link(app, channel, who)
    status, home, _ = await browser.sign_in(link)
    assert status == 200, home
    return browser, link.split("/web/")[0], hidden(home, "csrf")
