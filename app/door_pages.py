"""The door screen ``/staff/sessions/{id}/door``: check people in on a phone held in one hand.

Everything works without JavaScript: each action is a CSRF-protected form post to a
route under the page, answered with the page and a large result banner. ``door.js``
posts the same forms with ``Accept: application/json`` and gets the banner and the
counts as JSON, so the screen updates without a reload and scans made offline can be
sent later (with their ``scanned_at`` and ``client_nonce``). The rules all live in
``checkin.services``; this module only parses, calls them and words the answer.

The page authenticates with the staff session cookie. It never calls ``/api/*``,
which accepts bearer tokens only and is therefore exempt from CSRF checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from app.errors import checkin_error_handler, http_exception_handler
from app.formatting import KIND_ICONS, local_day, local_time
from app.i18n import is_supported, translations
from app.pages import N_, gettext_functions, render, request_language
from app.rate_limit import hit
from app.signup_form import FIELD_MESSAGES, field_key
from checkin import controllers as checkin_api
from checkin import services
from checkin.codes import looks_signed
from checkin.controllers import operator, require_door_staff
from checkin.errors import CheckinError, InvalidCheckin, NoSeatForWalkIn, NothingToUndo, NotYourSession
from checkin.outcomes import CheckinResult, Reason
from scheduling import services as scheduling
from scheduling.access import NOT_YOUR_ACTIVITY
from scheduling.errors import InvalidActivity, SessionFull, SignupClosed
from scheduling.languages import pick_text
from scheduling.locking import Busy

AnyRequest = Request[Any, Any, Any]
DoorAnswer = Template | Response[Any]

# --- the words of the banner (marked here, translated when answered) ----------------------

RESULT_TITLES = {
    CheckinResult.ok: N_("Checked in"),
    CheckinResult.already: N_("Already checked in"),
    CheckinResult.invalid: N_("Not valid"),
    CheckinResult.wrong_session: N_("Wrong session"),
    CheckinResult.cancelled: N_("Cancelled"),
}
RESULT_TONES = {CheckinResult.ok: "ok", CheckinResult.already: "warn"}  # all others: "bad"
TONE_ICONS = {"ok": "✓", "warn": "!", "bad": "✕", "info": "i"}
REASON_TEXTS = {
    Reason.unknown_code: N_("This code is not known. Check it, or search the name in the list."),
    Reason.unknown_registration: N_("This registration no longer exists."),
    Reason.ambiguous_code: N_("Two people share this short code. Scan the QR code, or search the name."),
    Reason.waitlisted: N_("%(name)s is on the waiting list and has no place."),
    Reason.registration_cancelled: N_("%(name)s cancelled this registration."),
    Reason.session_cancelled: N_("This session is cancelled."),
}
WRONG_SESSION_TEXT = N_("%(name)s is registered for another session.")
ALREADY_TEXT = N_("%(name)s, since %(time)s")
MESSAGES = {
    "no_code": N_("Type a code, or pick a name from the list."),
    "too_many": N_("Too many typed codes. Scan the QR code, or try again in %(seconds)s seconds."),
    "undone": N_("Check-in taken back"),
    "nothing_to_undo": N_("Nothing to undo: you have not checked anyone in here."),
    "walk_in_full": N_("The session is full: nobody more can be admitted."),
    "walk_in_closed": N_("Walk-ins cannot be registered: the session is over or cancelled."),
    "busy": N_("Many people are signing up right now. Please try again in a moment."),
    "counted": N_("Head-count: %(count)s"),
    "below_zero": N_("The head-count cannot go below zero."),
    "signed_out": N_("You are signed out. Sign in again; saved scans stay on this phone."),
    "reload": N_("This page is too old. Reload it; saved scans stay on this phone."),
}


def message_text(gettext: Callable[..., str], key: str, **values: Any) -> str:
    """One of ``MESSAGES`` in the request's language.

    Looked up here rather than with ``gettext(MESSAGES["key"])`` at the call sites, so Babel
    extracts only the texts marked above, never the dictionary keys.
    """
    return gettext(MESSAGES[key], **values)


@dataclass(frozen=True, slots=True)
class Banner:
    tone: str  # ok (green), warn (amber), bad (red), info (blue)
    title: str
    detail: str = ""
    result: str = ""  # a CheckinResult, when the banner answers a scan

    @property
    def icon(self) -> str:
        return TONE_ICONS[self.tone]

    def as_json(self) -> dict[str, str]:
        return {**asdict(self), "icon": self.icon}


# --- forms (plain strings: a form never fails to parse, the page says what is wrong) ------


@dataclass
class ScanForm:
    code: str = ""
    registration_id: str = ""
    scanned_at: str = ""
    client_nonce: str = ""
    q: str = ""


@dataclass
class WalkInForm:
    name: str = ""
    language: str = ""
    phone: str = ""


@dataclass
class HeadCountForm:
    delta: str = ""


def _scan_time(text: str) -> datetime | None:
    """The phone's scan time, when it sends a valid one with an offset."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _nonce(text: str) -> str | None:
    text = text.strip()
    return text if 0 < len(text) <= 100 else None


def _registration_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= services.MAX_ID else None


def wants_json(request: AnyRequest) -> bool:
    return request.accept.best_match(["text/html", "application/json"]) == "application/json"


class DoorScreen:
    """One request at one door: the session, the request's language, and how to answer."""

    def __init__(self, request: AnyRequest, session_id: int) -> None:
        self.request = request
        self.session_id = session_id
        self.lang = request_language(request)
        self.gettext: Callable[..., str] = gettext_functions(translations(self.lang))[0]
        self.timezone = "UTC"
        self._loaded: tuple[Any, Any] | None = None

    @classmethod
    async def open(cls, request: AnyRequest, session_id: int) -> DoorScreen:
        """The door, once the caller may check people in here (403 otherwise, 404 for no such session)."""
        await services.authorize(operator(request), session_id)
        door = cls(request, session_id)
        await door.load()
        return door

    async def load(self) -> tuple[Any, Any]:
        """The session and its activity (read once per request)."""
        if self._loaded is None:
            session = await scheduling.get_session(self.session_id, include_unpublished=True)
            activity = await scheduling.get_activity(session.activity_id, include_unpublished=True, staff=True)
            self.timezone = activity.timezone
            self._loaded = session, activity
        return self._loaded

    def time(self, at: datetime | None) -> str:
        return local_time(at, self.timezone, self.lang) if at else ""

    def message(self, key: str, tone: str, **values: Any) -> Banner:
        return Banner(tone, message_text(self.gettext, key, **values))

    def scan_banner(self, scan: services.ScanResult) -> Banner:
        name = scan.registration.name if scan.registration else ""
        if scan.result is CheckinResult.ok:
            detail = name
        elif scan.result is CheckinResult.already:
            detail = self.gettext(ALREADY_TEXT, name=name, time=self.time(scan.checked_in_at))
        elif scan.result is CheckinResult.wrong_session:
            detail = self.gettext(WRONG_SESSION_TEXT, name=name)
        else:
            detail = self.gettext(REASON_TEXTS[scan.reason], name=name) if scan.reason else name
        tone = RESULT_TONES.get(scan.result, "bad")
        return Banner(tone, self.gettext(RESULT_TITLES[scan.result]), detail, scan.result.value)

    async def counts(self) -> tuple[dict[str, int], services.SessionAttendance]:
        summary = await services.attendance(self.session_id)
        counts = {
            "expected": summary.expected,
            "checked_in": summary.checked_in,
            "walk_ins": summary.walk_ins,
            "anonymous": summary.anonymous_walk_ins,
        }
        return counts, summary

    async def answer(
        self,
        banner: Banner | None = None,
        *,
        status_code: int = 200,
        person: services.Person | None = None,
        checked_in_at: datetime | None = None,
        **page: Any,
    ) -> DoorAnswer:
        """The page with the banner, or for ``door.js`` the banner and the new counts as JSON."""
        if not wants_json(self.request):
            return await self.page(banner, status_code=status_code, **page)
        counts, _ = await self.counts()
        body: dict[str, Any] = {"banner": banner.as_json() if banner else None, "counts": counts}
        if person is not None:
            body["person"] = {"id": person.id, "name": person.name, "time": self.time(checked_in_at)}
        return Response(body, status_code=status_code, media_type=MediaType.JSON)

    async def page(
        self,
        banner: Banner | None = None,
        *,
        status_code: int = 200,
        q: str = "",
        focus: str = "",
        walk_in: WalkInForm | None = None,
        walk_in_error: str = "",
    ) -> Template:
        session, activity = await self.load()
        counts, summary = await self.counts()
        needle = q.strip().casefold()
        people = [
            {
                "id": p.registration_id,
                "name": p.name,
                "time": self.time(p.checked_in_at),
                "walk_in": p.source == "walk_in",
            }
            for p in summary.people
            if needle in p.name.casefold()
        ]
        return render(
            self.request,
            "staff/door.html",
            status_code=status_code,
            session_id=self.session_id,
            base=f"/staff/sessions/{self.session_id}/door",
            title=pick_text(activity.title, self.lang, [self.lang, *activity.languages]),
            kind=activity.kind.value,
            icon=KIND_ICONS.get(activity.kind.value, ""),
            day=local_day(session.starts_at, activity.timezone, self.lang),
            starts=local_time(session.starts_at, activity.timezone, self.lang),
            ends=local_time(session.ends_at, activity.timezone, self.lang),
            cancelled=session.status.value == "cancelled",
            activity_languages=activity.languages,
            banner=banner,
            counts=counts,
            people=people,
            q=q,
            focus=focus,
            walk_in=walk_in or WalkInForm(language=activity.languages[0] if activity.languages else self.lang),
            walk_in_error=walk_in_error,
            new_nonce=lambda: uuid.uuid4().hex,
        )


# --- errors: JSON for door.js, the usual pages otherwise ----------------------------------


def _json_error(status_code: int, banner: Banner, retry: bool) -> Response[Any]:
    body = {"status_code": status_code, "detail": banner.title, "banner": banner.as_json(), "retry": retry}
    return Response(body, status_code=status_code, media_type=MediaType.JSON)


def door_checkin_error(request: AnyRequest, exc: CheckinError) -> Response[Any]:
    if not wants_json(request):
        return checkin_error_handler(request, exc)
    if isinstance(exc, NotYourSession):  # the one refusal people meet here: say whom to ask, in their language
        detail = translations(request_language(request)).gettext(NOT_YOUR_ACTIVITY)
        return _json_error(exc.status_code, Banner("bad", detail), retry=False)
    return _json_error(exc.status_code, Banner("bad", str(exc)), retry=False)


def door_http_error(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    """Signed out, a stale CSRF token: ``door.js`` keeps its queued scans and says why."""
    if not wants_json(request):
        return http_exception_handler(request, exc)
    gettext = gettext_functions(translations(request_language(request)))[0]
    stale = exc.status_code == 403 and "CSRF" in exc.detail
    if exc.status_code == 401:
        banner = Banner("bad", message_text(gettext, "signed_out"))
    elif stale:
        banner = Banner("bad", message_text(gettext, "reload"))
    else:
        banner = Banner("bad", exc.detail)
    retry = stale or exc.status_code in (401, 429) or exc.status_code >= 500
    return _json_error(exc.status_code, banner, retry=retry)


# --- the routes ----------------------------------------------------------------------------


class DoorPages(Controller):
    """Coordinators, admins, and facilitators who may run the session (``scheduling.access``: assigned to its
    activity, or nobody is); other facilitators get 403."""

    path = "/staff/sessions/{session_id:int}/door"
    include_in_schema = False
    guards = [require_door_staff]
    exception_handlers = {CheckinError: door_checkin_error, HTTPException: door_http_error}

    @get("/")
    async def show(self, request: AnyRequest, session_id: FromPath[int], q: FromQuery[str] = "") -> DoorAnswer:
        door = await DoorScreen.open(request, session_id)
        if not wants_json(request):
            return await door.page(q=q[:200])
        counts, summary = await door.counts()
        checked_in = {str(p.registration_id): door.time(p.checked_in_at) for p in summary.people if p.checked_in_at}
        return Response({"counts": counts, "checked_in": checked_in}, media_type=MediaType.JSON)

    @get(["/checkin", "/walk-ins", "/undo", "/head-count"])
    async def back_to_the_door(self, request: AnyRequest, session_id: FromPath[int]) -> Redirect:
        """After a form post the address bar shows the action; reloading it or changing the language comes here."""
        lang = request.query_params.get("lang")
        query = f"?lang={lang}" if is_supported(lang) else ""
        return Redirect(f"/staff/sessions/{session_id}/door{query}", status_code=303)

    @post("/checkin", status_code=200)
    async def check_in(
        self, request: AnyRequest, session_id: FromPath[int], data: URLEncodedBody[ScanForm]
    ) -> DoorAnswer:
        """A typed or scanned code, or a name picked from the list."""
        by = operator(request)
        door = await DoorScreen.open(request, session_id)
        q = data.q[:200]
        when, nonce = _scan_time(data.scanned_at), _nonce(data.client_nonce)
        registration_id = _registration_id(data.registration_id)
        code = data.code.strip()[:200]
        if registration_id is not None:
            scan = await services.check_in_registration(
                registration_id, session_id=session_id, by=by, scanned_at=when, client_nonce=nonce
            )
        elif code:
            if not looks_signed(code):
                # the API's limit and bucket: typing on the page and through the API count together
                wait = await hit(checkin_api.TYPED_CODE_BUCKET, str(by.user_id), checkin_api.TYPED_CODE_LIMIT)
                if wait is not None:
                    banner = door.message("too_many", "bad", seconds=wait)
                    answer = await door.answer(banner, status_code=429, q=q, focus="code")
                    answer.headers["Retry-After"] = str(wait)
                    return answer
            scan = await services.check_in(code, session_id=session_id, by=by, scanned_at=when, client_nonce=nonce)
        else:
            return await door.answer(door.message("no_code", "bad"), status_code=400, q=q, focus="code")
        admitted = scan.result in (CheckinResult.ok, CheckinResult.already)
        return await door.answer(
            door.scan_banner(scan),
            person=scan.registration if admitted else None,
            checked_in_at=scan.checked_in_at,
            q=q,
            focus="" if registration_id else "code",
        )

    @post("/walk-ins", status_code=201)
    async def walk_in(
        self, request: AnyRequest, session_id: FromPath[int], data: URLEncodedBody[WalkInForm]
    ) -> DoorAnswer:
        """Register a person who came without registering, and check them in at once."""
        door = await DoorScreen.open(request, session_id)
        who = services.WalkIn(name=data.name, language=data.language, phone=data.phone.strip() or None)
        try:
            done = await services.walk_in(session_id, who, by=operator(request))
        except InvalidActivity as error:
            text = door.gettext(FIELD_MESSAGES[field_key(error.field, str(error))])
            return await door.answer(Banner("bad", text), status_code=400, walk_in=data, walk_in_error=text)
        except (NoSeatForWalkIn, SessionFull):
            return await door.answer(door.message("walk_in_full", "bad"), status_code=409, walk_in=data)
        except SignupClosed:
            return await door.answer(door.message("walk_in_closed", "bad"), status_code=409, walk_in=data)
        except Busy:
            return await door.answer(door.message("busy", "bad"), status_code=503, walk_in=data)
        return await door.answer(
            door.scan_banner(done.scan),
            status_code=201 if done.created else 200,
            person=done.scan.registration,
            checked_in_at=done.scan.checked_in_at,
        )

    @post("/undo", status_code=200)
    async def undo(self, request: AnyRequest, session_id: FromPath[int]) -> DoorAnswer:
        """Take back your own last check-in here."""
        door = await DoorScreen.open(request, session_id)
        try:
            undone = await services.undo_last(session_id, by=operator(request))
        except NothingToUndo:
            return await door.answer(door.message("nothing_to_undo", "warn"), status_code=409)
        banner = Banner("info", message_text(door.gettext, "undone"), undone.registration.name)
        return await door.answer(banner, person=undone.registration)

    @post("/head-count", status_code=200)
    async def head_count(
        self, request: AnyRequest, session_id: FromPath[int], data: URLEncodedBody[HeadCountForm]
    ) -> DoorAnswer:
        """Count a person who came without giving a name (a café), or take one back."""
        door = await DoorScreen.open(request, session_id)
        delta = {"1": 1, "+1": 1, "-1": -1}.get(data.delta.strip())
        if delta is None:
            raise InvalidCheckin("delta", "Count one more (+1) or one less (-1).")
        try:
            count = await services.count_anonymous_walk_ins(session_id, delta, by=operator(request))
        except InvalidCheckin:
            return await door.answer(door.message("below_zero", "warn"), status_code=409)
        return await door.answer(door.message("counted", "info", count=count))
