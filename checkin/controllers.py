"""HTTP for the door: check-in, walk-ins, undo, attendance, no-shows and the attendance report.

Thin: parse, call a service, answer. ``CheckinError`` becomes a 4xx in ``app.errors``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

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
    NoShowsOut,
    PersonOut,
    UndoOut,
    WalkInIn,
)
from scheduling.controllers import From, To, parse_instant

AnyRequest = Request[Any, Any, Any]
require_door_staff = require_role(Role.facilitator, Role.coordinator)
TYPED_CODE_LIMIT = RateLimit(count=30, period_seconds=60)  # per staff member: typing, not scanning
TYPED_CODE_BUCKET = "checkin-typed"


def operator(request: AnyRequest) -> services.Operator:
    user = require_user(request)
    return services.Operator(user_id=user.id, any_session=user.has_role(Role.coordinator))


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


class CheckinController(Controller):
    path = "/api/v1/checkin"
    tags = ["check-in"]
    guards = [require_door_staff]

    @post(operation_id="checkIn", status_code=200)
    async def check_in(self, request: AnyRequest, data: JSONBody[CheckinIn]) -> CheckinOut:
        """Check a person in by QR payload, typed short code (with ``session_id``) or ``registration_id``.

        A repeated scan answers ``already`` and never counts twice; a resend with the same
        ``client_nonce`` gets the first answer back. Denied scans answer 200 with their
        result and ``reason``; a facilitator of another activity gets 403.
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
    async def attendance(self, session_id: FromPath[int]) -> AttendanceOut:
        """Expected, checked in, walk-ins and no-shows, with everyone confirmed or checked in by name."""
        summary = await services.attendance(session_id)
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [require_coordinator]

    @get("/attendance.csv", operation_id="attendanceReportCsv", media_type="text/csv; charset=utf-8")
    async def attendance_csv(self, start: From = None, end: To = None) -> Response[str]:
        """One row per session starting in ``[from, to)`` with its attendance counts, as CSV with a header row.

        ``from`` is required; ``to`` defaults to now. Titles are in the default language.
        """
        rows, filename = await _report(start, end)
        return Response(
            services.report_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )

    @get("/attendance.xlsx", operation_id="attendanceReportXlsx", media_type=XLSX)
    async def attendance_xlsx(self, start: From = None, end: To = None) -> Response[bytes]:
        """The same report as an Excel workbook."""
        rows, filename = await _report(start, end)
        return Response(
            services.report_xlsx(rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )


async def _report(start: str | None, end: str | None) -> tuple[list[services.ReportRow], str]:
    """The report rows for ``[from, to)`` and a file name (without extension) for the download."""
    begin = parse_instant(start, "from")
    if begin is None:
        raise InvalidCheckin("from", "Give the first day of the report: ?from=2026-10-01")
    until = parse_instant(end, "to") or datetime.now(UTC)
    settings = get_settings()
    rows = await services.attendance_report(begin, until, language=settings.default_language)
    zone = ZoneInfo(settings.timezone)
    return rows, f"attendance-{begin.astimezone(zone):%Y-%m-%d}-{until.astimezone(zone):%Y-%m-%d}"
