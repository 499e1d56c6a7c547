"""Files uploaded on a web page, kept under the media folder beside those from Zalo.

The stored name is random and the type is read from the file's first bytes, never from the
name or the type the browser claims: nothing a person types becomes a path, and a page served
back is never taken for HTML. Serving resolves the stored ref and refuses anything outside
the media folder.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.engine.inputs import AttachmentInput


@dataclass(frozen=True)
class FileType:
    kind: str  # the engine's attachment kind
    extension: str
    mime: str


# By their first bytes (magic numbers); Office files are zip or OLE containers.
_SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"\xff\xd8\xff", FileType("photo", "jpg", "image/jpeg")),
    (b"\x89PNG\r\n\x1a\n", FileType("photo", "png", "image/png")),
    (b"GIF8", FileType("photo", "gif", "image/gif")),
    (b"%PDF-", FileType("document", "pdf", "application/pdf")),
    (b"PK\x03\x04", FileType("document", "zip", "application/octet-stream")),
    (b"\xd0\xcf\x11\xe0", FileType("document", "doc", "application/octet-stream")),
)
_WEBP = FileType("photo", "webp", "image/webp")
MIME_BY_EXTENSION = {t.extension: t.mime for _, t in _SIGNATURES} | {"webp": _WEBP.mime}


def sniff(head: bytes) -> FileType | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    return next((t for magic, t in _SIGNATURES if head.startswith(magic)), None)


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, name: str | None, now: datetime) -> AttachmentInput | None:
        """Keep an upload; None for a type the bot does not take (the caller says so)."""
        found = sniff(data[:16])
        if found is None:
            return None
        folder = self.root / "web" / f"{now:%Y-%m}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{secrets.token_hex(12)}.{found.extension}"
        path.write_bytes(data)
        # The original name is kept only as a label (shown escaped), never as a path.
        label = (name or "").replace("\\", "/").rsplit("/", 1)[-1][:120] or None
        return AttachmentInput(found.kind, path.relative_to(self.root).as_posix(), len(data),
                               label, found.mime)

    def discard(self, ref: str) -> None:
        path = self.resolve(ref)
        if path is not None:
            path.unlink(missing_ok=True)

    def resolve(self, ref: str) -> Path | None:
        """The stored file of a ref, if it is one of ours (under the media folder)."""
        if not ref or ref.startswith("/") or "\\" in ref:
            return None
        root = self.root.resolve()
        path = (root / ref).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    @staticmethod
    def mime(path: Path) -> str:
        return MIME_BY_EXTENSION.get(path.suffix.lstrip(".").lower(), "application/octet-stream")
