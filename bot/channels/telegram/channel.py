"""The Telegram channel on aiogram 3: aiogram carries updates and API calls, nothing more.

Inbound, an aiogram ``Dispatcher`` with two handlers turns messages and button presses into
neutral events and hands them to the inbound path, which commits before the handler returns;
polling and the webhook acknowledge an update only after that (``polling.py``,
``webhook.py``). Outbound, ``send`` draws the keyboard and maps Bot API errors onto the
delivery worker's results.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BufferedInputFile, CallbackQuery, Message, Update

from bot.channels.base import (
    SENT,
    Capabilities,
    InboundSink,
    OutboundFile,
    OutboundMessage,
    Runner,
    SendResult,
    split_lines,
)
from bot.channels.telegram.keyboard import MAX_TEXT, chosen_text, layout
from bot.channels.telegram.updates import NAME, message_event, press_event
from bot.engine.form import ATTACHMENT_KINDS
from bot.engine.messages import Msg
from bot.i18n import Translator
from bot.ratelimit import TokenBuckets

if TYPE_CHECKING:
    from bot.channels.telegram.polling import TelegramPolling
    from bot.channels.telegram.webhook import TelegramWebhook

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
# Later parts of a long message are retried in place on a 429, at most this often, so the
# parts already delivered are not sent twice.
PART_RETRIES = 3
MAX_CAPTION = 1024


def make_bot(token: str, api_base: str, timeout: float = 60.0) -> Bot:
    """An aiogram Bot for the official Bot API or a self-hosted one at ``api_base``."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")),
                             timeout=timeout)
    return Bot(token, session=session, default=DefaultBotProperties(
        link_preview_is_disabled=True,  # previews cost data on weak connections
    ))


# Telegram draws buttons, edits the answered question, sends and receives files of any kind,
# works in groups, and takes texts up to 4,096 characters.
CAPABILITIES = Capabilities(
    title="Telegram", max_text=MAX_TEXT, choices="buttons", buttons=True, edits=True,
    files_out=True, photos_out=True, attachments_in=ATTACHMENT_KINDS, groups=True,
    opens_links=True,
)


class TelegramChannel:
    name = NAME
    capabilities = CAPABILITIES
    # How updates arrive: set by bot/app.py from the configuration, one of the two.
    polling: TelegramPolling | None = None
    webhook: TelegramWebhook | None = None
    webhook_url: str = ""
    webhook_secret: str = ""

    def __init__(
        self,
        bot: Bot,
        inbound: InboundSink,
        limits: TokenBuckets,
        translator: Translator,
        default_language: str,
        menu: dict[str, list[tuple[str, str]]],
    ) -> None:
        self.bot = bot
        self.inbound = inbound
        self.limits = limits
        self.translator = translator
        self.default_language = default_language
        self.menu = menu
        # Conversation state lives in our database; aiogram's own FSM would be a second,
        # unused copy in memory, built for every update.
        self.dispatcher = Dispatcher(disable_fsm=True)
        router = Router(name="tinhhinh")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_press)
        self.dispatcher.include_router(router)

    # -- inbound ------------------------------------------------------------------------
    async def feed(self, update: Update) -> None:
        """Handle one update to commit; raises when nothing could be committed."""
        await self.dispatcher.feed_update(self.bot, update)

    async def _on_message(self, message: Message, event_update: Update) -> None:
        event = message_event(message, event_update.update_id)
        if event is not None:
            await self.inbound.handle_or_set_aside(event, _body(event_update))

    async def _on_press(self, query: CallbackQuery, event_update: Update) -> None:
        notice: str | None = None
        accepted = False
        lang = self._lang(query.from_user.language_code)
        try:
            press = press_event(query, event_update.update_id)
            if press.event is None:
                notice = self.translator.render(lang, Msg(f"button.{press.refusal}"))
            else:
                handled = await self.inbound.handle_or_set_aside(press.event,
                                                                 _body(event_update))
                notice, accepted = handled.notice, handled.accepted
        finally:
            # Every press is answered, or the phone shows a spinner on the button.
            with contextlib.suppress(AiogramError):
                await self.bot.answer_callback_query(query.id, text=notice)
        if accepted and isinstance(query.message, Message):  # not an inaccessible message
            await self._show_chosen(query.message, query.data or "")

    async def _show_chosen(self, message: Message, data: str) -> None:
        """Edit the question to show the answer picked, and take its buttons away."""
        text = chosen_text(message.text or "", message.reply_markup, data)
        try:
            await self.limits.acquire(str(message.chat.id), per_chat=False)
            await self.bot.edit_message_text(
                text=text, chat_id=message.chat.id, message_id=message.message_id,
                reply_markup=None,
            )
        except AiogramError as exc:  # cosmetic: the answer itself is already stored
            log.info("could not mark the chosen answer: %s", exc)

    def _lang(self, code: str | None) -> str:
        return code if code in self.menu else self.default_language

    # -- outbound -----------------------------------------------------------------------
    def parts(self, message: OutboundMessage) -> int:
        return len(self._parts(message))

    def _parts(self, message: OutboundMessage) -> list[tuple[str | OutboundFile, object]]:
        """The messages ``message`` becomes: the file (a short text as its caption), then
        the text split at the limit with the keyboard on its last part."""
        text, markup = layout(message)
        parts: list[tuple[str | OutboundFile, object]] = []
        if message.file is not None and message.file.data is not None:
            # A short text rides as the file's caption: one message instead of two.
            caption = len(text) <= MAX_CAPTION and markup is None
            parts.append((message.file, text if caption else None))
            if caption:
                text = ""
        if text:
            lines = split_lines(text, MAX_TEXT)
            parts += [(line, markup if i == len(lines) - 1 else None)
                      for i, line in enumerate(lines)]
        return parts

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        parts = self._parts(message)
        if not parts:
            return SENT
        try:
            await self._send_part(address, *parts[0])
        except TelegramAPIError as exc:
            return _result(exc)
        for part, extra in parts[1:]:
            failed = await self._send_later_part(address, part, extra)
            if failed is not None:
                return failed
        return SENT

    async def _send_later_part(
        self, address: str, part: str | OutboundFile, extra: object
    ) -> SendResult | None:
        """A second or later part, retried in place on a 429 so the parts already delivered
        are not sent twice; None when it went."""
        for attempt in range(PART_RETRIES + 1):
            await self.limits.acquire(address)
            try:
                await self._send_part(address, part, extra)
                return None
            except TelegramRetryAfter as exc:
                if attempt == PART_RETRIES:
                    return _result(exc)
                self.limits.pause(address, exc.retry_after)
            except TelegramAPIError as exc:
                return _result(exc)
        return None

    async def _send_part(self, address: str, part: str | OutboundFile, extra: object) -> None:
        """A text with its keyboard (``extra``), or a file with its caption."""
        if isinstance(part, str):
            await self.bot.send_message(chat_id=int(address), text=part,
                                        reply_markup=extra)  # type: ignore[arg-type]
            return
        upload = BufferedInputFile(part.data or b"", filename=part.name)
        caption = extra if isinstance(extra, str) else None
        if part.kind == "photo":
            await self.bot.send_photo(chat_id=int(address), photo=upload, caption=caption)
        else:
            await self.bot.send_document(chat_id=int(address), document=upload,
                                         caption=caption)

    # -- set-up -------------------------------------------------------------------------
    async def publish_menu(self) -> None:
        """setMyCommands: the Vietnamese menu for everyone, English for English phones."""
        for lang, entries in self.menu.items():
            commands = [
                BotCommand(command=word, description=self.translator.text(lang, f"menu.{name}"))
                for name, word in entries
            ]
            language_code = None if lang == self.default_language else lang
            await self.bot.set_my_commands(commands, language_code=language_code)

    async def check_token(self) -> str:
        """getMe: ok, refused: 401, or unreachable."""
        try:
            await self.bot.get_me()
        except TelegramUnauthorizedError:
            return "refused: 401"
        except (TelegramNetworkError, OSError):
            return "unreachable"
        return "ok"

    def start(self, runner: Runner) -> None:
        """Polling runs until the service stops; a webhook is registered (retried until
        Telegram takes it) and its updates arrive at the HTTP server."""
        if self.webhook is not None:
            runner.until_done("setWebhook", self._set_webhook)
        elif self.polling is not None:
            runner.forever(self.polling.run)

    async def _set_webhook(self) -> None:
        await self.bot.set_webhook(url=self.webhook_url, secret_token=self.webhook_secret,
                                   allowed_updates=list(ALLOWED_UPDATES),
                                   drop_pending_updates=False)

    async def stop(self) -> None:
        return None  # an update is acknowledged only once committed: nothing to hand back

    async def close(self) -> None:
        await self.bot.session.close()


def _body(update: Update) -> str:
    """The update as received, for the record of one set aside (ASCII-escaped: storable)."""
    return json.dumps(update.model_dump(mode="json", exclude_none=True), ensure_ascii=True,
                      default=str)


def _result(exc: TelegramAPIError) -> SendResult:
    reason = f"{type(exc).__name__}: {exc.message}"[:300]
    if isinstance(exc, TelegramRetryAfter):
        return SendResult("retry", retry_after=float(exc.retry_after), reason="429 " + reason)
    if isinstance(exc, TelegramForbiddenError):
        return SendResult("unreachable", reason="403 " + reason)
    if isinstance(exc, TelegramBadRequest) and "chat not found" in exc.message.lower():
        return SendResult("unreachable", reason="400 " + reason)
    if isinstance(exc, TelegramNetworkError):
        return SendResult("failed", reason="network " + reason)
    return SendResult("failed", reason=reason)

