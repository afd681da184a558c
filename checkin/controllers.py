"""HTTP for the door: check-in, walk-ins, undo, attendance, no-shows and the attendance report.

Thin: parse, call a service, answer. ``CheckinError`` becomes a 4xx in ``app.errors``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from app.auth.guards import require_coordinator, require_role, require_staff, require_user
from app.auth.roles import Role
from app.rate_limit import hit
from app.settings import RateLimit, get_settings
from checkin import services
from checkin.codes import looks_signed
from checkin.errors import InvalidCheckin
from checkin.schemas import (
    AttendanceOut,
    AttendeeOut,
    CheckinIn,
    CheckinOut,
    HeadCountIn,
    HeadCountOut,
    KindCountsOut,
    NoShowsOut,
    PeopleReportOut,
    PersonAttendanceOut,
    PersonOut,
    SeriesAttendanceOut,
    SeriesPersonOut,
    SeriesSessionOut,
    UndoOut,
    WalkInIn,
    WeeklyReportOut,
    WeekOut,
)
from scheduling.access import sees_every_session
from scheduling.controllers import From, To, parse_instant
from scheduling.kinds import ActivityKind

AnyRequest = Request[Any, Any, Any]
require_door_staff = require_role(Role.facilitator, Role.coordinator)
TYPED_CODE_LIMIT = RateLimit(count=30, period_seconds=60)  # per staff member: typing, not scanning
TYPED_CODE_BUCKET = "checkin-typed"


def operator(request: AnyRequest) -> services.Operator:
    """The caller as the door sees them; which sessions they may run is ``scheduling.access``'s rule."""
    user = require_user(request)
    return services.Operator(user_id=user.id, any_session=sees_every_session(user))


async def audit_read(request: AnyRequest, action: str, subject: str) -> None:
    """Record that a staff member read personal data (names, attendance) in the audit log."""
    from app.privacy.services import audit

    await audit(require_user(request).id, action, subject)


def person_out(person: services.Person) -> PersonOut:
    return PersonOut(id=person.id, name=person.name, status=person.status, session_id=person.session_id)


def scan_out(scan: services.ScanResult) -> CheckinOut:
    return CheckinOut(
        result=scan.result,
        registration=person_out(scan.registration) if scan.registration else None,
        checked_in_at=scan.checked_in_at,
        reason=scan.reason,
    )


async def limit_typed_codes(user_id: int) -> None:
    retry_after = await hit(TYPED_CODE_BUCKET, str(user_id), TYPED_CODE_LIMIT)
    if retry_after is not None:
        raise HTTPException(
            status_code=429,
            detail=f"Too many typed codes. Please scan the QR code, or try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


class ScanRoute(HTTPRouteHandler):
    """A POST route (as ``@post``) whose guards are handed the route handler itself.

    Litestar hands every guard a fresh copy of the handler (about 13 us a request here);
    Treffpunkt's guards only read the connection.
    """

    def __init__(self, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(path, http_method=HttpMethod.POST, **kwargs)

    async def authorize_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        for guard in self.resolve_guards():
            await guard(connection, self)  # type: ignore[misc]  # as in Litestar's own loop


class CheckinController(Controller):
    path = "/api/v1/checkin"
    tags = ["check-in"]
    guards = [require_door_staff]

    @ScanRoute(operation_id="checkIn", status_code=200)
    async def check_in(self, request: AnyRequest, data: JSONBody[CheckinIn]) -> CheckinOut:
        """Check a person in by QR payload, typed short code (with ``session_id``) or ``registration_id``.

        A repeated scan answers ``already`` and never counts twice; a resend with the same
        ``client_nonce`` gets the first answer back. Denied scans answer 200 with their
        result and ``reason``. A facilitator may check in at the activities they are assigned to and at
        those nobody is assigned to; elsewhere 403 ("ask a coordinator to add you to this activity").
        """
        by = operator(request)
        if (data.code is None) == (data.registration_id is None):
            raise InvalidCheckin("code", "Send either the code (scanned or typed) or the registration_id.")
        if data.registration_id is not None:
            scan = await services.check_in_registration(
                data.registration_id,
                session_id=data.session_id,
                by=by,
                scanned_at=data.scanned_at,
                client_nonce=data.client_nonce,
            )
            return scan_out(scan)
        assert data.code is not None
        if not looks_signed(data.code):
            await limit_typed_codes(by.user_id)
        scan = await services.check_in(
            data.code, session_id=data.session_id, by=by, scanned_at=data.scanned_at, client_nonce=data.client_nonce
        )
        return scan_out(scan)


class SessionDoorController(Controller):
    path = "/api/v1/sessions/{session_id:int}"
    tags = ["check-in"]

    @post("/walk-ins", guards=[require_door_staff], operation_id="walkIn", status_code=201)
    async def walk_in(
        self, request: AnyRequest, session_id: FromPath[int], data: JSONBody[WalkInIn]
    ) -> Response[CheckinOut]:
        """Register a person who came without registering, and check them in at once.

        409 when the session is full. A phone or e-mail the session already knows checks that
        registration in instead (200).
        """
        done = await services.walk_in(
            session_id,
            services.WalkIn(name=data.name, language=data.language, phone=data.phone, email=data.email),
            by=operator(request),
        )
        return Response(scan_out(done.scan), status_code=201 if done.created else 200)

    @post("/checkin/undo", guards=[require_door_staff], operation_id="undoCheckin", status_code=200)
    async def undo(self, request: AnyRequest, session_id: FromPath[int]) -> UndoOut:
        """Take back your last check-in at this session (409 when there is none)."""
        undone = await services.undo_last(session_id, by=operator(request))
        return UndoOut(undone=person_out(undone.registration), checked_in_at=undone.checked_in_at)

    @post("/anonymous-walk-ins", guards=[require_door_staff], operation_id="countAnonymousWalkIns", status_code=200)
    async def head_count(
        self, request: AnyRequest, session_id: FromPath[int], data: JSONBody[HeadCountIn]
    ) -> HeadCountOut:
        """Count people who came without registering (a café's head-count); ``delta`` may be negative."""
        count = await services.count_anonymous_walk_ins(session_id, data.delta, by=operator(request))
        return HeadCountOut(session_id=session_id, anonymous_walk_ins=count)

    @post("/no-shows", guards=[require_door_staff], operation_id="markNoShows", status_code=200)
    async def no_shows(self, request: AnyRequest, session_id: FromPath[int]) -> NoShowsOut:
        """Mark everyone confirmed but not checked in as a no-show (409 before the session is over)."""
        await services.authorize(operator(request), session_id)
        return NoShowsOut(session_id=session_id, no_shows=await services.mark_no_shows(session_id))

    @get("/attendance", guards=[require_staff], operation_id="sessionAttendance")
    async def attendance(self, request: AnyRequest, session_id: FromPath[int]) -> AttendanceOut:
        """Expected, checked in, walk-ins and no-shows, with everyone confirmed or checked in by name.

        Facilitators only for sessions they may run (assigned, or an activity nobody is assigned to),
        else 403. Recorded in the audit log.
        """
        await services.authorize(operator(request), session_id)
        summary = await services.attendance(session_id)
        await audit_read(request, "attendance.read", f"session:{session_id}")
        return AttendanceOut(
            session_id=summary.session_id,
            expected=summary.expected,
            checked_in=summary.checked_in,
            walk_ins=summary.walk_ins,
            anonymous_walk_ins=summary.anonymous_walk_ins,
            no_shows=summary.no_shows,
            people=[
                AttendeeOut(
                    registration_id=p.registration_id,
                    name=p.name,
                    language=p.language,
                    status=p.status,
                    source=p.source,
                    checked_in_at=p.checked_in_at,
                    method=p.method,
                    no_show=p.no_show,
                )
                for p in summary.people
            ],
        )


class ActivityAttendanceController(Controller):
    path = "/api/v1/activities/{activity_id:int}/attendance"
    tags = ["reports"]
    guards = [require_staff]

    @get(operation_id="activityAttendance")
    async def series(
        self, request: AnyRequest, activity_id: FromPath[int], start: From = None, end: To = None
    ) -> SeriesAttendanceOut:
        """Attendance across a series: people by sessions, one mark per cell, a rate per person.

        Marks: present, no_show, upcoming, waitlisted, excused (the person cancelled), cancelled
        (the session was cancelled), not_registered. Sessions starting in ``[from, to)``; ``to``
        defaults to a week from now, ``from`` to the first session; at most the last 52 sessions.
        Facilitators see the activities they are assigned to and those nobody is assigned to (403
        otherwise). Recorded in the audit log.
        """
        summary = await services.series_attendance(
            activity_id,
            by=operator(request),
            start=parse_instant(start, "from"),
            end=parse_instant(end, "to"),
            language=get_settings().default_language,
        )
        await audit_read(request, "attendance.read", f"activity:{activity_id}")
        return series_out(summary)


def series_out(summary: services.SeriesAttendance) -> SeriesAttendanceOut:
    return SeriesAttendanceOut(
        activity_id=summary.activity_id,
        title=summary.title,
        kind=summary.kind,
        timezone=summary.timezone,
        start=summary.start,
        end=summary.end,
        sessions=[
            SeriesSessionOut(
                id=s.id, starts_at=s.starts_at, date=s.local_date, time=s.local_time, status=s.status, present=s.present
            )
            for s in summary.sessions
        ],
        omitted_sessions=summary.omitted_sessions,
        people=[
            SeriesPersonOut(
                participant_id=p.participant_id,
                name=p.name,
                language=p.language,
                marks=p.marks,
                present=p.present,
                no_shows=p.no_shows,
                excused=p.excused,
                rate=p.rate,
            )
            for p in summary.people
        ],
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_REPORT_WEEKS = 12
ReportKind = Annotated[ActivityKind | None, QueryParameter(description="Only this kind of activity")]


def report_period(start: str | None, end: str | None) -> services.Period:
    """``[from, to)``; ``to`` defaults to now and ``from`` to twelve weeks before ``to``."""
    until = parse_instant(end, "to") or datetime.now(UTC)
    begin = parse_instant(start, "from") or until - timedelta(weeks=DEFAULT_REPORT_WEEKS)
    return services.Period.checked(begin, until)


def period_filename(stem: str, period: services.Period) -> str:
    zone = ZoneInfo(get_settings().timezone)
    return f"{stem}-{period.start.astimezone(zone):%Y-%m-%d}-{period.end.astimezone(zone):%Y-%m-%d}"


def kind_counts_out(counts: services.KindCounts) -> KindCountsOut:
    return KindCountsOut(**asdict(counts))


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [require_coordinator]

    @get("/attendance.csv", operation_id="attendanceReportCsv", media_type="text/csv; charset=utf-8")
    async def attendance_csv(self, start: From = None, end: To = None) -> Response[Any]:
        """One row per session starting in ``[from, to)`` with its attendance counts, as CSV with a header row.

        ``from`` is required; ``to`` defaults to now. Titles are in the default language.
        """
        return await sessions_download(_required_period(start, end), "csv")

    @get("/attendance.xlsx", operation_id="attendanceReportXlsx", media_type=XLSX)
    async def attendance_xlsx(self, start: From = None, end: To = None) -> Response[Any]:
        """The same report as an Excel workbook."""
        return await sessions_download(_required_period(start, end), "xlsx")

    @get("/attendance/people", operation_id="peopleAttendanceReport")
    async def people(self, request: AnyRequest, start: From = None, end: To = None) -> PeopleReportOut:
        """Attendance per person over ``[from, to)`` across all activities (default: the last 12 weeks).

        Recorded in the audit log, as are its downloads.
        """
        period = report_period(start, end)
        rows = await services.people_report(period)
        await audit_read(request, "report.people", period_filename("people", period))
        return PeopleReportOut(
            start=period.start, end=period.end, people=[PersonAttendanceOut(**asdict(row)) for row in rows]
        )

    @get("/attendance/people.csv", operation_id="peopleAttendanceReportCsv", media_type="text/csv; charset=utf-8")
    async def people_csv(self, request: AnyRequest, start: From = None, end: To = None) -> Response[Any]:
        """Attendance per person as CSV (the same columns as the JSON)."""
        return await people_download(request, report_period(start, end), "csv")

    @get("/attendance/people.xlsx", operation_id="peopleAttendanceReportXlsx", media_type=XLSX)
    async def people_xlsx(self, request: AnyRequest, start: From = None, end: To = None) -> Response[Any]:
        """Attendance per person as an Excel workbook."""
        return await people_download(request, report_period(start, end), "xlsx")

    @get("/attendance/weekly", operation_id="weeklyAttendanceReport")
    async def weekly(self, start: From = None, end: To = None, kind: ReportKind = None) -> WeeklyReportOut:
        """Per week (Monday to Sunday, local dates): registered, attended and walk-ins, also by activity kind."""
        period = report_period(start, end)
        settings = get_settings()
        weekly = await services.weekly_attendance(
            period,
            timezone=settings.timezone,
            language=settings.default_language,
            kind=kind.value if kind else None,
        )
        return WeeklyReportOut(
            start=period.start,
            end=period.end,
            kind=weekly.kind,
            weeks=[
                WeekOut(
                    week=week.label,
                    starts_on=week.starts_on.isoformat(),
                    sessions=week.sessions,
                    registered=week.registered,
                    attended=week.attended,
                    walk_ins=week.walk_ins,
                    by_kind={name: kind_counts_out(c) for name, c in week.by_kind.items()},
                )
                for week in weekly.weeks
            ],
            totals={name: kind_counts_out(c) for name, c in weekly.totals.items()},
        )


def _required_period(start: str | None, end: str | None) -> services.Period:
    begin = parse_instant(start, "from")
    if begin is None:
        raise InvalidCheckin("from", "Give the first day of the report: ?from=2026-10-01")
    return services.Period.checked(begin, parse_instant(end, "to") or datetime.now(UTC))


def _download(body: str | bytes, kind: str, filename: str) -> Response[Any]:
    media_type = "text/csv; charset=utf-8" if kind == "csv" else XLSX
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}.{kind}"'}
    )


async def sessions_download(period: services.Period, kind: str) -> Response[Any]:
    """The per-session report as a CSV or XLSX download (``kind``); the API and the reports page share it."""
    rows = await services.attendance_report(period.start, period.end, language=get_settings().default_language)
    body = services.report_csv(rows) if kind == "csv" else services.report_xlsx(rows)
    return _download(body, kind, period_filename("attendance", period))


async def people_download(request: AnyRequest, period: services.Period, kind: str) -> Response[Any]:
    """The per-person report as a CSV or XLSX download (``kind``), recorded in the audit log."""
    rows = await services.people_report(period)
    await audit_read(request, "report.people", f"{period_filename('people', period)}.{kind}")
    if kind == "csv":
        body: str | bytes = services.table_csv(services.PEOPLE_COLUMNS, rows)
    else:
        body = services.table_xlsx(services.PEOPLE_COLUMNS, rows, title="People")
    return _download(body, kind, period_filename("people", period))
