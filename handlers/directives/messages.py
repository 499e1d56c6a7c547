"""What a directive says to the chairs it reaches, in each language, cut for set-based sends.

A message is rendered once per language with markers where each unit's own values go (its
name, its members' link, its ledger row's number: storage.repositories.directives); the
database joins them per row, so 1,000 units cost one statement per language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.conversation.reply_codes import ReplyCodeGrammar
from storage.directive_models import Directive
from storage.repositories.unit_messages import REF, TOKEN, UNIT, Sent

RECEIVED, DISSEMINATED = "directive_received", "directive_disseminated"
# The members' page of a unit, and its document.
MEMBER_PAGE = "/web/m/"


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def number(value: int) -> str:
    """A whole number the Vietnamese way: 1.500."""
    return f"{value:,}".replace(",", ".")


class DirectiveTexts:
    def __init__(self, translator: Translator, codes: ReplyCodeGrammar,
                 languages: Sequence[str]) -> None:
        self.tr = translator
        self.codes = codes
        self.languages = tuple(languages)

    def _t(self, lang: str) -> Callable[[Msg], str]:
        return lambda m: self.tr.render(lang, m)

    def actions(self, directive: Directive, owing: str | None = None) -> tuple[str, ...]:
        """The reply codes a chair is offered: "received" while it is owed, and
        "disseminated" when the directive asks for it."""
        wanted = [RECEIVED] if owing in (None, "pending") else []
        if directive.asks == "disseminated":
            wanted.append(DISSEMINATED)
        return tuple(wanted)

    def sent(self, lang: str, directive: Directive, issuer: str, head: str,
             base_url: str | None, file_id: int | None, *, owing: str | None = None,
             due_note: Msg | None = None) -> Sent:
        """The directive as a chair reads it: ``head`` says why it comes (new, corrected,
        a reminder); buttons and codes to answer; the members' link; the document."""
        t = self._t(lang)
        lines = [t(Msg(head, number=directive.id, version=directive.version, unit=UNIT,
                       issuer=issuer)),
                 f"«{directive.title}»", directive.body,
                 t(Msg("directive.due", due=day(directive.due_on)))]
        if due_note is not None:
            lines.append(t(due_note))
        lines.append(t(Msg(f"directive.asks_{directive.asks}")))
        if base_url is not None:
            lines.append(t(Msg("directive.member_link", url=f"{base_url}{MEMBER_PAGE}{TOKEN}")))
        actions = self.actions(directive, owing)
        buttons = tuple((self.codes.verbs[a].code, t(Msg(f"code.{a}"))) for a in actions)
        hint = t(Msg("code.hint", items="; ".join(
            t(Msg("code.item", code=f"{self.codes.verbs[a].code} {REF}",
                  meaning=t(Msg(f"code.{a}")))) for a in actions)))
        has_file = directive.file_name is not None
        return Sent(
            lang, "\n".join(lines), buttons, hint,
            link=t(Msg("directive.answer_on_web")) if base_url is not None else None,
            file=(file_id, directive.file_name or "") if has_file and file_id else None,
            file_url=(f"{base_url}{MEMBER_PAGE}{TOKEN}/file"
                      if has_file and base_url is not None else None),
            file_label=t(Msg("directive.document")))

    def withdrawn(self, lang: str, directive: Directive) -> Sent:
        t = self._t(lang)
        return Sent(lang, t(Msg("directive.withdrawn", number=directive.id,
                                title=directive.title, unit=UNIT)))
