"""Filling the rapid report through the pages as a phone with JavaScript off does."""

from __future__ import annotations

import io
from typing import Any

import aiohttp

from tests.web.client import Browser, hidden


def _jpeg() -> bytes:
    """A real photo (a browser shows it): a small red and white JPEG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 120), (179, 38, 30))
    ImageDraw.Draw(image).rectangle((40, 30, 120, 90), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


JPEG = _jpeg()

RAPID = {
    "linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": "120", "muc_do": "khan_cap",
    "mo_ta": "Công nhân ngừng việc vì bị nợ lương hai tháng",
    "tinh_trang": "can_ho_tro", "de_xuat": "Đề nghị LĐLĐ huyện vào cuộc",
}


def form_data(page: str, answers: dict[str, Any], action: str = "next",
              photo: bytes | None = None) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("csrf", hidden(page, "csrf"))
    data.add_field("v", hidden(page, "v"))
    data.add_field("action", action)
    for key, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(f"q.{key}[]" if isinstance(value, list) else f"q.{key}", one)
    if photo is not None:
        data.add_field("q.dinh_kem", io.BytesIO(photo), filename="anh.jpg",
                       content_type="image/jpeg")
    return data


async def start_rapid(browser: Browser, base: str, home: str) -> tuple[str, str]:
    """From the home page: the rapid report's draft page and its address."""
    status, page, url = await browser.post(base + "/web/start", {
        "csrf": hidden(home, "csrf"), "form": "bao_cao_nhanh", "unit": hidden(home, "unit")})
    assert status == 200, page
    return page, url


async def post_page(browser: Browser, url: str, page: str, answers: dict[str, Any],
                    **kw: Any) -> tuple[int, str, str]:
    return await browser.post(url, form_data(page, answers, **kw))
