"""A session's page for staff, ``/staff/sessions/{id}``: who is coming, the waiting list, who is there,
and what staff do about it.

Who may open it is the rule of ``scheduling.access``, as for its door screen: coordinators
and admins every session, a facilitator the sessions of activities they are assigned to and
of activities nobody is assigned to (others get the staff error page saying whom to ask).
Only coordinators and admins may also act: add a person by hand, cancel a registration, move
it to another date, fill free places from the waiting list, cancel, restore or move the
session, and write to everyone registered. Every action is a CSRF-protected form post
answered with a redirect back (so reloading repeats nothing) or, when something is
wrong, with the page and the message next to the field. The rules live in
``scheduling.services``, ``checkin.services`` and ``notifications.broadcast``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.auth.guards import require_coordinator, require_user
from app.formatting import KIND_ICONS, local_day, local_time
from app.i18n import is_supported, translations
from app.pages import N_, gettext_functions, render, request_language
from app.settings import get_settings
from app.staff.activity_pages import is_coordinator
from checkin import services as checkin
from checkin.controllers import operator, require_door_staff
from notifications.broadcast import MAX_SUBJECT, MAX_TEXT, queue_staff_message, staff_messages
from scheduling import services
from scheduling.errors import (
    InvalidActivity,
    RegistrationNotFound,
    SessionChangeRefused,
    SessionFull,
    SignupClosed,
)
from scheduling.kinds import SessionStatus
from scheduling.languages import pick_text
from scheduling.locking import Busy
from scheduling.schemas import SessionPatch
from scheduling.services import registrations

AnyRequest = Request[Any, Any, Any]

# What the page says after an action (``?done=``), and what went wrong (shown at the form).
DONE = {
    "added": N_("The person is registered."),
    "added_waitlist": N_("The session is full: the person is on the waiting list."),
    "already": N_("This person is already registered for this session."),
    "cancelled": N_("The registration is cancelled; the waiting list moved up."),
    "moved": N_("The person is moved to the other date."),
    "promoted": N_("Free places were given to the waiting list."),
    "nobody_promoted": N_("No free place: nobody could move up."),
    "place_added": N_("One more place; the first person waiting has it now."),
    "given_place": N_("The person has a place now and is told."),
    "session_cancelled": N_("The session is cancelled; everyone registered is told."),
    "session_restored": N_("The session takes place again; everyone registered is told."),
    "session_moved": N_("The session has a new time; everyone registered is told."),
    "message_queued": N_("The message is on its way to everyone registered."),
    "message_again": N_("This message was already sent; nobody gets it twice."),
}
PROBLEMS = {
    "name": N_("Write the person's name."),
    "phone": N_("Check the phone number, for example 0151 2345678."),
    "email": N_("Check the e-mail address, for example name@example.org."),
    "language": N_("Choose a language."),
    "closed": N_("This session is over or cancelled; nobody can be added or moved here."),
    "full": N_("The session is full and has no waiting list."),
    "busy": N_("Many people are signing up right now. Please try again in a moment."),
    "gone": N_("This registration is no longer active."),
    "target": N_("Choose another date of this activity."),
    "over": N_("This session is over; it can no longer be changed."),
    "new_date": N_("Write the new date, for example 2026-10-08."),
    "new_time": N_("Write the new start time, for example 11:00."),
    "past": N_("A session cannot be moved into the past."),
    "subject": N_("Write a subject of at most 200 characters."),
    "text": N_("Write the message, at most 2000 characters."),
    "message_key": N_("The form was incomplete. Write the message again."),
    "reason": N_("At most 200 characters."),
    "capacity": N_("The number of places cannot be raised here."),
}


def _safe_back(target: str, session_id: int) -> str:
    """Only pages of the staff workspace, so a form cannot become an open redirect."""
    if target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return f"/staff/sessions/{session_id}"


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    hours, _, minutes = text.strip().replace(".", ":").partition(":")
    if hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2:
        return time(int(hours), int(minutes))
    return None


@dataclass
class AddForm:
    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


@dataclass
class MessageForm:
    subject: str = ""
    text: str = ""
    waitlist: bool = True
    message_key: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class MoveForm:
    new_date: str = ""
    new_time: str = ""


@dataclass
class Problems:
    """What went wrong with one form: ``form`` names it, ``fields`` maps its fields to message keys."""

    form: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    top: str = ""


def _form_text(form: Any, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


# What a refused change to someone's place shows on the page: the status and the message's key.
_REFUSALS: dict[type[Exception], tuple[int, str]] = {
    RegistrationNotFound: (404, "gone"),
    SignupClosed: (409, "closed"),
    InvalidActivity: (409, "closed"),
    SessionFull: (409, "full"),
    Busy: (503, "busy"),
}
PLACE_REFUSED = tuple(_REFUSALS)


def _refusal(error: Exception) -> tuple[int, str]:
    return next(found for kind, found in _REFUSALS.items() if isinstance(error, kind))


class SessionRoster:
    """One request on one session's page: the session, its activity, the reader's language."""

    def __init__(self, request: AnyRequest, session_id: int) -> None:
        self.request = request
        self.session_id = session_id
        self.lang = request_language(request)
        self.gettext = gettext_functions(translations(self.lang))[0]

    @classmethod
    async def open(cls, request: AnyRequest, session_id: int) -> SessionRoster:
        """403 outside ``scheduling.access``'s rule (see the module docstring); 404 for no such session."""
        await checkin.authorize(operator(request), session_id)
        roster = cls(request, session_id)
        roster.session = await services.get_session(session_id, include_unpublished=True)
        roster.activity = await services.get_activity(roster.session.activity_id, include_unpublished=True, staff=True)
        return roster

    session: Any
    activity: Any

    def local(self, at: datetime) -> str:
        zone = self.activity.timezone
        return f"{local_day(at, zone, self.lang)}, {local_time(at, zone, self.lang)}"

    def done(self, key: str) -> Redirect:
        return Redirect(f"/staff/sessions/{self.session_id}?done={key}", status_code=303)

    async def refused(self, error: Exception) -> Template:
        """The page again, saying why a change to someone's place was refused."""
        status, key = _refusal(error)
        return await self.page(status_code=status, problems=Problems("people", top=key))

    async def page(
        self,
        *,
        status_code: int = 200,
        done: str = "",
        problems: Problems | None = None,
        add: AddForm | None = None,
        message: MessageForm | None = None,
        move: MoveForm | None = None,
        reason: str = "",
    ) -> Template:
        from app.privacy.services import audit

        user = require_user(self.request)
        await audit(user.id, "roster.read", f"session:{self.session_id}")
        session, activity = self.session, self.activity
        zone = activity.timezone
        people = await registrations.roster(self.session_id)
        summary = await checkin.attendance(self.session_id)
        present = {p.registration_id: p for p in summary.people}
        now = datetime.now(UTC)
        other_sessions = [
            {"id": s.id, "label": self.local(s.starts_at), "full": s.seats_left == 0}
            for s in await services.list_activity_sessions(activity.id, start=now, limit=200)
            if s.id != self.session_id and s.status is SessionStatus.scheduled
        ]
        rows = []
        for person in people:
            seen = present.get(person["id"])
            checked_in_at = seen.checked_in_at if seen else None
            rows.append(
                {
                    "id": person["id"],
                    "participant_id": person["participant"],
                    "name": person["name"],
                    "phone": person["phone"] or "",
                    "email": person["email"] or "",
                    "language": person["language"],
                    "status": person["status"],
                    "position": person["waitlist_position"],
                    "source": person["source"],
                    "checked_in": local_time(checked_in_at, zone, self.lang) if checked_in_at else "",
                    "no_show": bool(seen and seen.no_show),
                }
            )
        problems = problems or Problems()
        field_errors = {name: self.gettext(PROBLEMS.get(key, key)) for name, key in problems.fields.items()}
        fallback = get_settings().default_language
        local_start = session.starts_at.astimezone(ZoneInfo(zone))
        return render(
            self.request,
            "staff/session.html",
            status_code=status_code,
            session=session,
            activity=activity,
            title=pick_text(activity.title, self.lang, [fallback, *activity.languages]),
            icon=KIND_ICONS.get(activity.kind.value, ""),
            day=local_day(session.starts_at, zone, self.lang),
            starts=local_time(session.starts_at, zone, self.lang),
            ends=local_time(session.ends_at, zone, self.lang),
            over=session.ends_at < now,
            confirmed=[r for r in rows if r["status"] == "confirmed"],
            waiting=[r for r in rows if r["status"] == "waitlisted"],
            cancelled=[r for r in rows if r["status"] == "cancelled"],
            counts={"checked_in": summary.checked_in, "walk_ins": summary.walk_ins, "no_shows": summary.no_shows},
            other_sessions=other_sessions,
            may_edit=is_coordinator(self.request),
            done=self.gettext(DONE[done]) if done in DONE else "",
            problem_form=problems.form,
            errors=field_errors,
            top_error=self.gettext(PROBLEMS[problems.top]) if problems.top else "",
            add=add or AddForm(language=activity.languages[0] if activity.languages else self.lang),
            message=message or MessageForm(),
            move=move or MoveForm(new_date=local_start.date().isoformat(), new_time=local_start.strftime("%H:%M")),
            reason=reason,
            written=[
                {
                    "subject": m.subject,
                    "when": self.local(m.written_at),
                    "people": m.people,
                    "sent": m.sent,
                    "failed": m.failed,
                }
                for m in await staff_messages(self.session_id)
            ],
            max_subject=MAX_SUBJECT,
            max_text=MAX_TEXT,
        )


class StaffSessionPages(Controller):
    path = "/staff/sessions/{session_id:int}"
    include_in_schema = False
    guards = [require_door_staff]

    @get("/")
    async def show(self, request: AnyRequest, session_id: FromPath[int], done: FromQuery[str] = "") -> Template:
        roster = await SessionRoster.open(request, session_id)
        return await roster.page(done=done)

    @get(
        [
            "/registrations",
            "/registrations/{registration_id:int}/cancel",
            "/registrations/{registration_id:int}/move",
            "/registrations/{registration_id:int}/give-place",
            "/promote",
            "/one-more-place",
            "/cancel",
            "/restore",
            "/move",
            "/message",
        ]
    )
    async def back_to_the_page(self, request: AnyRequest, session_id: FromPath[int]) -> Redirect:
        """The address bar after a form post; reloading it or changing the language comes back here."""
        lang = request.query_params.get("lang")
        query = f"?lang={lang}" if is_supported(lang) else ""
        return Redirect(f"/staff/sessions/{session_id}{query}", status_code=303)

    # --- the people ------------------------------------------------------------------------

    @post("/registrations", guards=[require_coordinator], status_code=200)
    async def add_person(self, request: AnyRequest, session_id: FromPath[int]) -> Template | Redirect:
        """Register a person by hand (a phone call, a person at the office); no consent form, recorded as staff."""
        roster = await SessionRoster.open(request, session_id)
        posted = await request.form()
        form = AddForm(
            name=_form_text(posted, "name", 200),
            phone=_form_text(posted, "phone", 40),
            email=_form_text(posted, "email", 254),
            language=_form_text(posted, "language", 12),
        )
        user = require_user(request)
        try:
            result = await registrations.sign_up(
                session_id,
                registrations.SignUp(
                    name=form.name,
                    language=form.language,
                    phone=form.phone.strip() or None,
                    email=form.email.strip() or None,
                    source="staff",
                ),
                actor=f"staff:{user.id}",
            )
        except InvalidActivity as error:
            key = error.field if error.field in ("name", "phone", "email", "language") else "name"
            return await roster.page(status_code=400, problems=Problems("add", {key: key}), add=form)
        except PLACE_REFUSED as error:
            status, key = _refusal(error)
            return await roster.page(status_code=status, problems=Problems("add", top=key), add=form)
        if not result.created:
            return roster.done("already")
        return roster.done("added_waitlist" if result.status.value == "waitlisted" else "added")

    async def _registration_here(self, roster: SessionRoster, registration_id: int) -> bool:
        """The registration is an active one of this session (one query, not the whole roster)."""
        return await registrations.is_active_in(roster.session_id, registration_id)

    @post("/registrations/{registration_id:int}/cancel", guards=[require_coordinator], status_code=200)
    async def cancel_registration(
        self, request: AnyRequest, session_id: FromPath[int], registration_id: FromPath[int]
    ) -> Template | Redirect:
        roster = await SessionRoster.open(request, session_id)
        if not await self._registration_here(roster, registration_id):
            return await roster.page(status_code=404, problems=Problems("people", top="gone"))
        try:
            await registrations.cancel_by_id(registration_id, actor=f"staff:{require_user(request).id}")
        except PLACE_REFUSED as error:
            return await roster.refused(error)
        return roster.done("cancelled")

    @post("/registrations/{registration_id:int}/move", guards=[require_coordinator], status_code=200)
    async def move_registration(
        self, request: AnyRequest, session_id: FromPath[int], registration_id: FromPath[int]
    ) -> Template | Redirect:
        roster = await SessionRoster.open(request, session_id)
        posted = await request.form()
        target_text = _form_text(posted, "to_session", 12)
        if not await self._registration_here(roster, registration_id):
            return await roster.page(status_code=404, problems=Problems("people", top="gone"))
        targets = await services.list_activity_sessions(roster.activity.id, start=datetime.now(UTC), limit=200)
        allowed = {s.id for s in targets if s.id != session_id}
        if not target_text.isdigit() or int(target_text) not in allowed:
            return await roster.page(status_code=400, problems=Problems("people", top="target"))
        try:
            await registrations.move_registration(
                registration_id, int(target_text), actor=f"staff:{require_user(request).id}"
            )
        except PLACE_REFUSED as error:
            return await roster.refused(error)
        return roster.done("moved")

    @post("/registrations/{registration_id:int}/give-place", guards=[require_coordinator], status_code=200)
    async def give_place(
        self, request: AnyRequest, session_id: FromPath[int], registration_id: FromPath[int]
    ) -> Template | Redirect:
        """This person on the waiting list gets a place now, out of turn (one more place if it is full)."""
        roster = await SessionRoster.open(request, session_id)
        if not await self._registration_here(roster, registration_id):
            return await roster.page(status_code=404, problems=Problems("people", top="gone"))
        try:
            await registrations.give_place(registration_id, actor=f"staff:{require_user(request).id}")
        except PLACE_REFUSED as error:
            return await roster.refused(error)
        return roster.done("given_place")

    @post("/promote", guards=[require_coordinator], status_code=200)
    async def promote(self, request: AnyRequest, session_id: FromPath[int]) -> Redirect:
        """Give free places to the waiting list, first come first served."""
        roster = await SessionRoster.open(request, session_id)
        promoted = await registrations.promote_session(session_id)
        return roster.done("promoted" if promoted else "nobody_promoted")

    @post("/one-more-place", guards=[require_coordinator], status_code=200)
    async def one_more_place(self, request: AnyRequest, session_id: FromPath[int]) -> Template | Redirect:
        """Raise this session's places by one; the first person waiting moves up (and is told)."""
        roster = await SessionRoster.open(request, session_id)
        session = roster.session
        if session.capacity is None:
            return await roster.page(status_code=409, problems=Problems("people", top="capacity"))
        try:
            await services.change_session(session_id, SessionPatch(capacity=session.capacity + 1))
        except (SessionChangeRefused, InvalidActivity):
            return await roster.page(status_code=409, problems=Problems("people", top="capacity"))
        return roster.done("place_added")

    # --- the session -----------------------------------------------------------------------

    @post("/cancel", guards=[require_coordinator], status_code=200)
    async def cancel_session(self, request: AnyRequest, session_id: FromPath[int]) -> Template | Redirect:
        roster = await SessionRoster.open(request, session_id)
        posted = await request.form()
        reason = _form_text(posted, "reason", 1000).strip()
        if len(reason) > 200:
            return await roster.page(status_code=400, problems=Problems("session", {"reason": "reason"}), reason=reason)
        try:
            await services.change_session(
                session_id, SessionPatch(status=SessionStatus.cancelled, reason=reason or "cancelled")
            )
        except SessionChangeRefused:
            return await roster.page(status_code=409, problems=Problems("session", top="over"))
        back = _form_text(posted, "back", 300)
        if back:
            return Redirect(_safe_back(back, session_id), status_code=303)
        return roster.done("session_cancelled")

    @post("/restore", guards=[require_coordinator], status_code=200)
    async def restore_session(self, request: AnyRequest, session_id: FromPath[int]) -> Template | Redirect:
        roster = await SessionRoster.open(request, session_id)
        posted = await request.form()
        try:
            await services.change_session(session_id, SessionPatch(status=SessionStatus.scheduled))
        except SessionChangeRefused:
            return await roster.page(status_code=409, problems=Problems("session", top="over"))
        back = _form_text(posted, "back", 300)
        if back:
            return Redirect(_safe_back(back, session_id), status_code=303)
        return roster.done("session_restored")

    @post("/move", guards=[require_coordinator], status_code=200)
    async def move_session(self, request: AnyRequest, session_id: FromPath[int]) -> Template | Redirect:
        """A new local date and start time in the activity's time zone; the length stays."""
        roster = await SessionRoster.open(request, session_id)
        posted = await request.form()
        form = MoveForm(new_date=_form_text(posted, "new_date", 20), new_time=_form_text(posted, "new_time", 10))
        day, moment = _parse_date(form.new_date), _parse_time(form.new_time)
        fields = {}
        if day is None:
            fields["new_date"] = "new_date"
        if moment is None:
            fields["new_time"] = "new_time"
        if fields:
            return await roster.page(status_code=400, problems=Problems("session", fields), move=form)
        assert day is not None and moment is not None
        zone = ZoneInfo(roster.activity.timezone)
        starts_at = datetime.combine(day, moment, tzinfo=zone)
        if starts_at.astimezone(UTC) - timedelta(minutes=1) < datetime.now(UTC):
            return await roster.page(status_code=400, problems=Problems("session", {"new_date": "past"}), move=form)
        try:
            await services.change_session(session_id, SessionPatch(starts_at=starts_at))
        except SessionChangeRefused:
            return await roster.page(status_code=409, problems=Problems("session", top="over"), move=form)
        except InvalidActivity:
            return await roster.page(status_code=400, problems=Problems("session", {"new_date": "past"}), move=form)
        return roster.done("session_moved")

    # --- a message to everyone -------------------------------------------------------------

    @post("/message", guards=[require_coordinator], status_code=200)
    async def message(self, request: AnyRequest, session_id: FromPath[int]) -> Template | Redirect:
        """Write to everyone registered: one outbox row per person, sent in each person's channel."""
        roster = await SessionRoster.open(request, session_id)
        posted = await request.form()
        form = MessageForm(
            subject=_form_text(posted, "subject", 1000),
            text=_form_text(posted, "text", 10000),
            waitlist=_form_text(posted, "waitlist") == "on",
            message_key=_form_text(posted, "message_key", 100),
        )
        try:
            sent = await queue_staff_message(
                session_id,
                subject=form.subject,
                text=form.text,
                message_key=form.message_key,
                include_waitlist=form.waitlist,
            )
        except InvalidActivity as error:
            key = error.field if error.field in ("subject", "text") else "message_key"
            if key == "message_key":
                form.message_key = uuid.uuid4().hex
            return await roster.page(status_code=400, problems=Problems("message", {key: key}), message=form)
        if sent.queued == 0 and sent.already:
            return roster.done("message_again")
        return roster.done("message_queued")


__all__ = ["StaffSessionPages"]
