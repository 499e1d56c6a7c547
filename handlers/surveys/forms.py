"""Importing a survey form from Excel (`tinhhinh form import FILE.xlsx`).

The file is read as XLSForm (bot.forms.xlsform) and checked as every form is
(bot.engine.form.parse_form); nothing is stored unless all of it is right, and what is wrong
is said with its sheet, row and reason. A form is kept with every version: the same file again
changes nothing; a changed file replaces the stored version only while nobody uses it, and
otherwise becomes the next version, so answers already given keep the form they answered. A
shipped form (a YAML file in bot/forms/) cannot be replaced by an import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.engine.form import Choice, Form, FormError, parse_form
from bot.engine.messages import Msg
from bot.forms.xlsform import XlsFormError, read_xlsform
from storage.uow import UnitOfWork

# What an imported form's finished draft becomes: a survey response (handlers/surveys).
BECOMES = "survey"
Outcome = Literal["added", "new_version", "replaced", "unchanged"]
# How many uses a stored form has (open drafts, campaigns, responses): registered by the
# use cases that use forms; any use keeps the stored version as it is.
Uses = Callable[[UnitOfWork, str], Awaitable[int]]


class ImportRefused(ValueError):
    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.key)
        self.msg = msg


@dataclass(frozen=True)
class Imported:
    form: Form
    version: int
    outcome: Outcome


class FormImport:
    def __init__(self, shipped: Collection[str], yes_no: tuple[Choice, ...]) -> None:
        self.shipped = frozenset(shipped)
        self.yes_no = yes_no
        self.uses: list[Uses] = [lambda uow, form_id: uow.forms.drafts_on(form_id),
                                 lambda uow, form_id: uow.surveys.campaigns_on(form_id)]

    def read(self, data: bytes, source: str) -> tuple[dict[str, Any], Form]:
        """The file's form, checked; ``ImportRefused`` with what is wrong where."""
        try:
            raw = {**read_xlsform(data, source), "becomes": BECOMES}
            form = parse_form(raw, source, self.yes_no)
        except XlsFormError as exc:
            raise ImportRefused(exc.message) from None
        except FormError as exc:  # what the engine's own check finds (min above max...)
            raise ImportRefused(Msg("xlsform.invalid", source=source,
                                    problem=str(exc))) from None
        if form.id in self.shipped:
            raise ImportRefused(Msg("xlsform.shipped", source=source, form=form.id))
        return raw, form

    async def store(self, uow: UnitOfWork, data: bytes, source: str, now: datetime,
                    person_id: int | None = None) -> Imported:
        raw, form = self.read(data, source)
        digest = hashlib.sha256(data).hexdigest()
        latest = await uow.forms.latest(form.id, lock=True)
        if latest is not None and latest.digest == digest:
            return Imported(form, latest.version, "unchanged")
        in_use = latest is not None and any([await use(uow, form.id) for use in self.uses])
        if latest is not None and not in_use and form.version <= latest.version:
            raw["version"] = latest.version
            await uow.forms.replace(latest.id, raw, digest, source, person_id, now)
            outcome: Outcome = "replaced"
        else:
            version = form.version if latest is None else max(form.version,
                                                              latest.version + 1)
            raw["version"] = version
            await uow.forms.add(form_id=form.id, version=version, definition=raw,
                                digest=digest, source=source, imported_by=person_id,
                                imported_at=now)
            outcome = "added" if latest is None else "new_version"
        await uow.audit.write("form.imported", now, subject=f"form:{form.id}",
                              details={"version": raw["version"], "outcome": outcome,
                                       "source": source, "sha256": digest},
                              person_id=person_id, label="" if person_id else "cli")
        return Imported(form, int(raw["version"]), outcome)
