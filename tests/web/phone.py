"""A real phone-sized browser: Debian's chromium, headless, driven by Selenium.

Selenium's calls block, and the bot's server runs on the test's own event loop, so every
call goes through a thread (``asyncio.to_thread``): a blocking call on the loop would leave
the server unable to answer the browser. Chromium starts with the flags that keep it off the
closed network (no background fetches) and with a fresh profile. With CI=true a missing
browser fails the test; elsewhere it skips with the reason.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.e2e.peer import ci

CHROMIUM = os.environ.get("TINHHINH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TINHHINH_CHROMEDRIVER", "/usr/bin/chromedriver")
# Where the tests write phone-width screenshots for review (not committed).
SHOTS = Path(os.environ.get("TINHHINH_SCREENSHOTS",
                            Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"))
WIDTH = 360
T = TypeVar("T")


def need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        reason = f"browser tests need Debian's chromium and chromium-driver: no {missing}"
        if ci():
            pytest.fail(reason)
        pytest.skip(reason)


class Phone:
    def __init__(self, *, javascript: bool = True) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        need_browser()
        self.profile = tempfile.TemporaryDirectory(prefix="tinhhinh-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
                     "--disable-background-networking", "--disable-component-update",
                     f"--window-size={WIDTH},780", f"--user-data-dir={self.profile.name}"):
            options.add_argument(flag)
        if not javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        self._screen(780)

    def _screen(self, height: int) -> None:
        """A phone's screen, not a narrow desktop window (a desktop window has a minimum
        width): the viewport is 360 CSS pixels wide, at a phone's pixel density."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": WIDTH, "height": height, "deviceScaleFactor": 2, "mobile": True})

    async def run(self, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(call)

    async def open(self, url: str) -> None:
        await self.run(lambda: self.driver.get(url))

    def _find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def _centred(self, css: str) -> Any:
        """The element scrolled to the middle of the screen, as a thumb would bring it
        (the page's sticky buttons cover the bottom edge)."""
        element = self._find(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        return element

    async def click(self, css: str) -> None:
        await self.run(lambda: self._centred(css).click())

    async def type(self, css: str, text: str, *, clear: bool = True) -> None:
        def do() -> None:
            element = self._centred(css)
            if clear:
                element.clear()
            element.send_keys(text)
        await self.run(do)

    async def blur(self) -> None:
        """Leave the field (a tap elsewhere): its change is saved."""
        await self.run(lambda: self._find("h1").click())

    async def text(self, css: str) -> str:
        return await self.run(lambda: self._find(css).text)

    async def shown(self, css: str) -> bool:
        return await self.run(lambda: self._find(css).is_displayed())

    async def url(self) -> str:
        return await self.run(lambda: self.driver.current_url)

    async def wait(self, what: str, check: Callable[[], Any], within: float = 15.0) -> Any:
        """Poll ``check`` (run in the thread) until it is truthy."""
        end = time.monotonic() + within
        while True:
            try:
                got = await self.run(check)
            except Exception:  # an element not there yet, a page mid-load
                got = None
            if got:
                return got
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.1)

    async def wait_shown(self, css: str, shown: bool = True) -> None:
        await self.wait(f"{css} shown={shown}",
                        lambda: self._find(css).is_displayed() == shown or None)

    async def screenshot(self, name: str) -> Path:
        """The whole page at phone width, as a PNG under ``SHOTS``."""
        path = SHOTS / name

        def do() -> None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            height = int(self.driver.execute_script(
                "return document.documentElement.scrollHeight"))
            self._screen(max(height, 640))
            self.driver.save_screenshot(str(path))
            self._screen(780)
        await self.run(do)
        return path

    async def desktop_screenshot(self, name: str, width: int = 1280) -> Path:
        """The whole page in a desktop window's width (an official at the office), as a PNG
        under ``SHOTS``; the phone's screen again afterwards."""
        path = SHOTS / name

        def do() -> None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            metrics = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False}
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            height = int(self.driver.execute_script(
                "return document.documentElement.scrollHeight"))
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {**metrics, "height": max(height, 640)})
            self.driver.save_screenshot(str(path))
            self._screen(780)
        await self.run(do)
        return path

    async def page_width(self) -> tuple[int, int]:
        """The page's laid-out width and the screen's: equal when nothing overflows."""
        widths = await self.run(lambda: self.driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"))
        return int(widths[0]), int(widths[1])

    async def close(self) -> None:
        await self.run(self.driver.quit)
        self.profile.cleanup()
