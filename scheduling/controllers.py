"""HTTP for scheduling: activities, sessions, closure days, employers and calendar feeds.

Thin: parse, call a service, answer. Errors are mapped to 4xx in ``app.errors``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter

from app.auth.guards import current_user, require_coordinator, require_staff
from app.auth.roles import STAFF_ROLES
from app.settings import get_settings
from scheduling import services
from scheduling.errors import InvalidActivity
from scheduling.kinds import ActivityKind
from scheduling.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityUpdate,
    ClosureIn,
    ClosureOut,
    EmployerIn,
    EmployerOut,
    SessionListItem,
    SessionOut,
    SessionPatch,
)

AnyRequest = Request[Any, Any, Any]
From = Annotated[str | None, QueryParameter(name="from", description="ISO date or date-time; naive = local time")]
To = Annotated[str | None, QueryParameter(name="to", description="ISO date or date-time (exclusive)")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0)]
Kind = Annotated[ActivityKind | None, QueryParameter(description="small_group, cafe, company_visit or coaching")]
Language = Annotated[str | None, QueryParameter(max_length=12)]


def parse_instant(value: str | None, name: str) -> datetime | None:
    """``2026-10-01`` (start of that day) or a date-time; naive values are in the default zone."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time(0))
        except ValueError:
            raise InvalidActivity(name, f"{value!r} is not a date; write e.g. 2026-10-01 or 2026-10-01T10:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(get_settings().timezone))
    return parsed.astimezone(UTC)


def ics_id(filename: str) -> int:
    """``"12.ics"`` → 12; anything else is an unknown calendar."""
    stem, _, suffix = filename.partition(".")
    if suffix != "ics" or not stem.isdigit():
        raise NotFoundException("Calendar feeds are at /ics/activities/{id}.ics.")
    return int(stem)


def is_staff(request: AnyRequest) -> bool:
    user = current_user(request)
    return user is not None and user.has_role(*STAFF_ROLES)


class ActivityController(Controller):
    path = "/api/v1/activities"
    tags = ["activities"]

    @post(guards=[require_coordinator], operation_id="createActivity")
    async def create(self, data: JSONBody[ActivityCreate]) -> ActivityOut:
        """Create an activity (a series or a single date) with its sessions."""
        settings = get_settings()
        return await services.create_activity(data, default_timezone=settings.timezone, base_url=settings.base_url)

    @get(operation_id="listActivities")
    async def list_activities(
        self,
        request: AnyRequest,
        kind: Kind = None,
        language: Language = None,
        start: From = None,
        end: To = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[ActivityOut]:
        """Published activities, filtered; staff also see proposed ones and facilitators."""
        staff = is_staff(request)
        filters = services.ActivityFilter(
            kind=kind.value if kind else None,
            language=language,
            start=parse_instant(start, "from"),
            end=parse_instant(end, "to"),
            include_unpublished=staff,
            limit=limit,
            offset=offset,
        )
        return await services.list_activities(filters, staff=staff, base_url=get_settings().base_url)

    @get("/{activity_id:int}", operation_id="getActivity")
    async def get_one(self, request: AnyRequest, activity_id: FromPath[int]) -> ActivityOut:
        """One activity."""
        staff = is_staff(request)
        return await services.get_activity(
            activity_id, include_unpublished=staff, staff=staff, base_url=get_settings().base_url
        )

    @patch("/{activity_id:int}", guards=[require_coordinator], operation_id="updateActivity")
    async def update(self, activity_id: FromPath[int], data: JSONBody[ActivityUpdate]) -> ActivityOut:
        """Change an activity; schedule changes apply from ``from_date`` on (the answer may be a new series)."""
        return await services.update_activity(activity_id, data, base_url=get_settings().base_url)

    @get("/{activity_id:int}/sessions", operation_id="listActivitySessions")
    async def sessions(
        self,
        request: AnyRequest,
        activity_id: FromPath[int],
        start: From = None,
        end: To = None,
        limit: Limit = 500,
        offset: Offset = 0,
    ) -> list[SessionOut]:
        """The sessions of an activity in time order, cancelled ones included."""
        await services.get_activity(activity_id, include_unpublished=is_staff(request))
        return await services.list_activity_sessions(
            activity_id, start=parse_instant(start, "from"), end=parse_instant(end, "to"), limit=limit, offset=offset
        )


class SessionController(Controller):
    path = "/api/v1/sessions"
    tags = ["sessions"]

    @get(operation_id="listSessions")
    async def list_sessions(
        self,
        kind: Kind = None,
        language: Language = None,
        start: From = None,
        end: To = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[SessionListItem]:
        """Published sessions across all activities in time order (default: from now on)."""
        filters = services.SessionFilter(
            start=parse_instant(start, "from") or datetime.now(UTC),
            end=parse_instant(end, "to"),
            kind=kind.value if kind else None,
            language=language,
            limit=limit,
            offset=offset,
        )
        return await services.list_sessions(filters)

    @get("/{session_id:int}", operation_id="getSession")
    async def get_one(self, request: AnyRequest, session_id: FromPath[int]) -> SessionOut:
        """One session with its capacity and counts."""
        return await services.get_session(session_id, include_unpublished=is_staff(request))

    @patch("/{session_id:int}", guards=[require_coordinator], operation_id="updateSession")
    async def update(self, session_id: FromPath[int], data: JSONBody[SessionPatch]) -> SessionOut:
        """Cancel (``{"status": "cancelled"}``), restore, move (``starts_at``) or resize one session."""
        return await services.change_session(session_id, data)


class ClosureController(Controller):
    path = "/api/v1/closures"
    tags = ["closures"]

    @get(guards=[require_staff], operation_id="listClosures")
    async def list_closures(self) -> list[ClosureOut]:
        """Closure days (holidays) on which no session takes place."""
        return await services.list_closures()

    @post(guards=[require_coordinator], operation_id="addClosure")
    async def add(self, data: JSONBody[ClosureIn]) -> ClosureOut:
        """Add a closure day: every session on it is cancelled and registered people are told."""
        return await services.add_closure(data.day, data.name)

    @delete("/{day:date}", guards=[require_coordinator], operation_id="removeClosure", status_code=200)
    async def remove(self, day: FromPath[date]) -> ClosureOut:
        """Remove a closure day: the sessions it cancelled take place again."""
        return await services.remove_closure(day)


class EmployerController(Controller):
    path = "/api/v1/employers"
    tags = ["employers"]

    @post(guards=[require_coordinator], operation_id="createEmployer")
    async def create(self, data: JSONBody[EmployerIn]) -> EmployerOut:
        """Add an employer that hosts company visits."""
        return await services.create_employer(data)

    @get(operation_id="listEmployers")
    async def list_employers(self, request: AnyRequest) -> list[EmployerOut]:
        """Employers; contact details only for staff."""
        return await services.list_employers(include_contact=is_staff(request))

    @get("/{employer_id:int}", operation_id="getEmployer")
    async def get_one(self, request: AnyRequest, employer_id: FromPath[int]) -> EmployerOut:
        """One employer; contact details only for staff."""
        return await services.get_employer(employer_id, include_contact=is_staff(request))


class CalendarController(Controller):
    path = "/ics"
    tags = ["calendars"]

    @get("/r/{filename:str}", operation_id="personCalendar", media_type="text/calendar")
    async def person(self, request: AnyRequest, filename: FromPath[str]) -> Response[bytes]:
        """``/ics/r/{token}.ics``: a person's own registrations (subscribe to keep it current)."""
        token, _, suffix = filename.rpartition(".")
        if suffix != "ics" or not token:
            raise NotFoundException("This link is not valid.")
        settings = get_settings()
        lang = request.query_params.get("lang") or settings.default_language
        body = await services.person_calendar(
            token, base_url=settings.base_url, lang=lang, fallback=settings.default_language
        )
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": 'inline; filename="treffpunkt.ics"',
                "Cache-Control": "private, no-store",
                "Referrer-Policy": "no-referrer",
            },
        )

    @get("/activities/{filename:str}", operation_id="activityCalendar", media_type="text/calendar")
    async def activity(self, request: AnyRequest, filename: FromPath[str]) -> Response[bytes]:
        """``/ics/activities/{id}.ics``: the series as one VEVENT with RRULE, EXDATE and VTIMEZONE (RFC 5545)."""
        activity_id = ics_id(filename)
        settings = get_settings()
        lang = request.query_params.get("lang") or settings.default_language
        body = await services.activity_calendar(
            activity_id, base_url=settings.base_url, lang=lang, fallback=settings.default_language
        )
        headers = {
            "Content-Disposition": f'inline; filename="activity-{activity_id}.ics"',
            "Cache-Control": "public, max-age=300",
            "ETag": feed_etag(body),
        }
        matches = _if_none_match(request)
        if headers["ETag"] in matches or "*" in matches:
            # A calendar app polling an unchanged feed gets no body (RFC 9110 §13.1.2).
            return Response(b"", status_code=304, media_type="text/calendar; charset=utf-8", headers=headers)
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


def feed_etag(body: bytes) -> str:
    """A strong validator for a feed's bytes: equal bytes, equal tag."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _if_none_match(request: AnyRequest) -> set[str]:
    header = request.headers.get("if-none-match")
    if not header:
        return set()
    # Weak tags compare equal to strong ones for If-None-Match (weak comparison).
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
