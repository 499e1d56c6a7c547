"""The console channel: a terminal chat over the same stack (demo, tests, transcripts)."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import TextIO

from bot.channels.base import (
    SENT,
    Attachment,
    Capabilities,
    InboundEvent,
    OutboundMessage,
    Quiet,
    SendResult,
    render_text,
    split_lines,
)
from bot.engine.form import ATTACHMENT_KINDS

NAME = "console"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
# A terminal takes any text and shows a file by its name; an attachment is typed as @path.
CAPABILITIES = Capabilities(
    title="console", max_text=65536, files_out=True, photos_out=True,
    attachments_in=ATTACHMENT_KINDS,
)


class ConsoleChannel(Quiet):
    name = NAME
    capabilities = CAPABILITIES

    def __init__(self, out: TextIO, me: str | None = None,
                 downloads: Path | None = None) -> None:
        self.out = out
        self.me = me
        # Where a document sent to this terminal (an export asked for with /xuat) is saved.
        self.downloads = downloads

    def parts(self, message: OutboundMessage) -> int:
        return len(split_lines(render_text(message), self.capabilities.max_text))

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        # Messages to other console identities (officials, say) are marked with their address.
        header = "" if self.me in (None, address) else f"[-> {address}]\n"
        # A terminal cannot show a file: its name stands for it, or the path it was saved to.
        attached = f"\n📎 {self._keep(message)}" if message.file is not None else ""
        for part in split_lines(render_text(message), self.capabilities.max_text):
            self.out.write(header + part + attached + "\n\n")
            attached = ""
        self.out.flush()
        return SENT

    def _keep(self, message: OutboundMessage) -> str:
        """A document's bytes written under ``downloads`` (its name kept to safe letters: it
        comes from a unit's code): the path; otherwise the file's name."""
        file = message.file
        assert file is not None
        if self.downloads is None or file.data is None or file.kind != "document":
            return file.name
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_"
                       for c in file.name).lstrip(".") or "tep"
        self.downloads.mkdir(parents=True, exist_ok=True)
        path = self.downloads / safe
        path.write_bytes(file.data)
        return str(path.resolve())


class ConsoleInput:
    """Turns typed lines into inbound events; ``@path`` attaches a file."""

    def __init__(self, identity: str, display_name: str = "") -> None:
        self.identity = identity
        self.display_name = display_name or identity
        self._ids = itertools.count(1)
        # Event ids are stored for dedupe, so they must not repeat across runs.
        self._session = uuid.uuid4().hex[:12]

    def event(self, line: str) -> InboundEvent:
        text: str | None = line.rstrip("\r\n")
        attachment = None
        if text and text.startswith("@") and Path(text[1:].strip()).is_file():
            path = Path(text[1:].strip())
            kind = "photo" if path.suffix.lower() in IMAGE_SUFFIXES else "document"
            attachment = Attachment(kind, str(path.resolve()), path.stat().st_size, path.name)
            text = None
        return InboundEvent(
            channel=NAME,
            event_id=f"{self._session}-{next(self._ids)}",
            sender_id=self.identity,
            chat_id=self.identity,
            display_name=self.display_name,
            text=text,
            attachment=attachment,
        )
