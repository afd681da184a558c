"""The host portal: an employer's hosts propose visit slots, see who comes and print the gate list.

Server-rendered, mobile-first, no JavaScript needed. Every rule lives in
``scheduling.services.visits``; these pages parse forms, call it and show the answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.auth.guards import require_user
from app.auth.roles import Role
from app.formatting import language_name, local_day, local_time
from app.i18n import LANGUAGES
from app.pages import render, request_language
from app.settings import get_settings
from scheduling.errors import InvalidActivity
from scheduling.languages import pick_text
from scheduling.services import get_employer, visits
from scheduling.visit_controllers import visit_actor
from scheduling.visit_schemas import SlotCreate, SlotOut, SlotUpdate

AnyRequest = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "private, no-store"}

# Marked for translation; looked up with gettext when a page is rendered.
FIELD_MESSAGES = {
    "starts_at": "Please choose a date and a time in the future.",
    "duration_minutes": "Please give the length in minutes, from 15 to 720.",
    "capacity": "Please give how many visitors can come, from 1 to 200.",
    "languages": "Please choose at least one language.",
    "notes": "Please shorten the description to at most 5000 characters.",
    "meeting_point": "Please shorten the meeting point to at most 300 characters.",
    "title": "Please shorten the title to at most 200 characters.",
    "text": "Please write a few words, at most 2000 characters.",
}
STATUS_LABELS = {
    "proposed": "Waiting for approval",
    "published": "Approved",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
_ERROR_PATH = re.compile(r"\$\.(\w+)")


async def host_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The portal is for hosts, each bound to one employer."""
    user = require_user(connection)
    if user.role is not Role.host or user.employer_id is None:
        raise PermissionDeniedException("The host portal is for the hosts of an employer.")


def _employer_id(request: AnyRequest) -> int:
    employer_id = require_user(request).employer_id
    assert employer_id is not None  # host_only made sure
    return employer_id


@dataclass
class SlotForm:
    """The propose and edit form, as typed (shown again with errors)."""

    day: str = ""
    time: str = ""
    duration_minutes: str = "120"
    capacity: str = "10"
    languages: list[str] = field(default_factory=list)
    meeting_point: str = ""
    notes: str = ""
    title: str = ""

    @classmethod
    def parse(cls, form: FormMultiDict) -> SlotForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        return cls(
            day=text("day"),
            time=text("time"),
            duration_minutes=text("duration_minutes"),
            capacity=text("capacity"),
            languages=[code for code in form.getall("languages", []) if isinstance(code, str)],
            meeting_point=text("meeting_point"),
            notes=text("notes"),
            title=text("title"),
        )

    @classmethod
    def of(cls, slot: SlotOut, title: str) -> SlotForm:
        day, _, time = slot.start.partition("T")
        return cls(
            day=day,
            time=time,
            duration_minutes=str(slot.duration_minutes),
            capacity=str(slot.capacity or ""),
            languages=list(slot.languages),
            meeting_point=slot.meeting_point,
            notes=slot.notes,
            title=title,
        )

    def payload(self) -> dict[str, Any]:
        """The form as the API's body (numbers still as text: ``msgspec.convert(strict=False)`` reads them)."""
        body: dict[str, Any] = {
            "starts_at": f"{self.day}T{self.time}",
            "duration_minutes": self.duration_minutes,
            "capacity": self.capacity,
            "languages": self.languages,
            "meeting_point": self.meeting_point,
            "notes": self.notes,
        }
        if self.title:
            body["title"] = self.title
        return body


@dataclass(frozen=True, slots=True)
class SlotView:
    """A slot with what the pages show about it, in the reader's language."""

    slot: SlotOut
    title: str
    day: str
    starts: str
    ends: str
    status_label: str  # an English message, translated in the template
    changeable: bool
    feedback_open: bool


def _title_of(slot: SlotOut, lang: str) -> str:
    return pick_text(slot.title, lang, [get_settings().default_language, *slot.languages])


def _view(slot: SlotOut, lang: str) -> SlotView:
    now = datetime.now(UTC)
    starts_at = slot.starts_at or now
    return SlotView(
        slot=slot,
        title=_title_of(slot, lang),
        day=local_day(starts_at, slot.timezone, lang),
        starts=local_time(starts_at, slot.timezone, lang),
        ends=local_time(slot.ends_at or starts_at, slot.timezone, lang),
        status_label=STATUS_LABELS.get(slot.status.value, slot.status.value),
        changeable=visits.may_still_change(slot, now),
        feedback_open=slot.status.value == "published" and starts_at <= now,
    )


def _error_field(error: Exception) -> str:
    """The form field an error is about (a domain error names it; msgspec says ``$.capacity``)."""
    if isinstance(error, InvalidActivity) and error.field:
        return "starts_at" if error.field in ("start", "timezone") else error.field
    match = _ERROR_PATH.search(str(error))
    return match.group(1) if match else "starts_at"


def _language_choices(*groups: list[str]) -> list[tuple[str, str]]:
    codes = list(LANGUAGES)
    for group in groups:
        codes += [code for code in group if code not in codes]
    return [(code, language_name(code)) for code in codes]


class HostPages(Controller):
    path = "/host"
    include_in_schema = False
    guards = [host_only]

    async def _home(
        self,
        request: AnyRequest,
        *,
        form: SlotForm | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        settings = get_settings()
        employer = await get_employer(_employer_id(request))
        lang = request_language(request)
        slots = await visits.list_slots(employer.id, visit_actor(request))
        form = form or SlotForm(languages=list(employer.site_languages) or [settings.default_language])
        page = render(
            request,
            "host/home.html",
            status_code=status,
            employer=employer,
            slots=[_view(slot, lang) for slot in slots],
            form=form,
            errors=errors or {},
            field_messages=FIELD_MESSAGES,
            language_choices=_language_choices(list(employer.site_languages), form.languages),
        )
        page.headers.update(NO_STORE)
        return page

    async def _slot_page(
        self,
        request: AnyRequest,
        slot_id: int,
        *,
        form: SlotForm | None = None,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Template:
        actor = visit_actor(request)
        slot = await visits.get_slot(slot_id, actor)
        view = _view(slot, request_language(request))
        page = render(
            request,
            "host/slot.html",
            status_code=status,
            view=view,
            visitors=await visits.visitors(slot_id, actor),
            form=form or SlotForm.of(slot, view.title),
            errors=errors or {},
            notice=notice,
            field_messages=FIELD_MESSAGES,
            language_choices=_language_choices(slot.languages, form.languages if form else []),
        )
        page.headers.update(NO_STORE)
        return page

    @get("/")
    async def home(self, request: AnyRequest) -> Template:
        """The employer, its slots with status and headcount, and the form to propose one."""
        return await self._home(request)

    @post("/slots")
    async def propose(self, request: AnyRequest) -> Template | Redirect:
        settings = get_settings()
        form = SlotForm.parse(await request.form())
        try:
            data = msgspec.convert(form.payload(), SlotCreate, strict=False)
            slot = await visits.propose_slot(
                _employer_id(request),
                data,
                visit_actor(request),
                default_timezone=settings.timezone,
                default_language=settings.default_language,
            )
        except (msgspec.ValidationError, InvalidActivity) as error:
            return await self._home(request, form=form, errors={_error_field(error): str(error)}, status=400)
        return Redirect(f"/host/slots/{slot.id}", status_code=303)

    @get("/slots/{slot_id:int}")
    async def slot(self, request: AnyRequest, slot_id: FromPath[int]) -> Template:
        """One slot: its details, the visitor list for the gate (print-friendly) and what can still be done."""
        return await self._slot_page(request, slot_id)

    @post("/slots/{slot_id:int}/edit")
    async def edit(self, request: AnyRequest, slot_id: FromPath[int]) -> Template | Redirect:
        form = SlotForm.parse(await request.form())
        actor = visit_actor(request)
        body = form.payload()
        if body.get("title") == _title_of(await visits.get_slot(slot_id, actor), request_language(request)):
            body.pop("title")  # the title as it was shown: unchanged
        try:
            data = msgspec.convert(body, SlotUpdate, strict=False)
            await visits.update_slot(slot_id, data, actor, default_language=get_settings().default_language)
        except (msgspec.ValidationError, InvalidActivity) as error:
            return await self._slot_page(
                request, slot_id, form=form, errors={_error_field(error): str(error)}, status=400
            )
        except visits.SlotChangeRefused as error:
            return await self._slot_page(request, slot_id, notice=str(error), status=409)
        return Redirect(f"/host/slots/{slot_id}", status_code=303)

    @post("/slots/{slot_id:int}/withdraw")
    async def withdraw(self, request: AnyRequest, slot_id: FromPath[int]) -> Template | Redirect:
        try:
            await visits.withdraw_slot(slot_id, visit_actor(request))
        except visits.SlotChangeRefused as error:
            return await self._slot_page(request, slot_id, notice=str(error), status=409)
        return Redirect(f"/host/slots/{slot_id}", status_code=303)

    @post("/slots/{slot_id:int}/feedback")
    async def feedback(self, request: AnyRequest, slot_id: FromPath[int]) -> Template | Redirect:
        text = (await request.form()).get("text")
        try:
            await visits.leave_feedback(slot_id, text if isinstance(text, str) else "", visit_actor(request))
        except InvalidActivity as error:
            return await self._slot_page(request, slot_id, errors={"text": str(error)}, status=400)
        except visits.SlotChangeRefused as error:
            return await self._slot_page(request, slot_id, notice=str(error), status=409)
        return Redirect(f"/host/slots/{slot_id}", status_code=303)
