"""Domain errors become clear 4xx answers; nothing unexpected leaks as a traceback.

API routes answer JSON ``{"status_code", "detail", "extra"}``; page routes answer a
page in the person's language.
"""

from __future__ import annotations

import traceback
from typing import Any

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.auth.errors import (
    AuthError,
    InvalidCredentials,
    InvalidUserData,
    LoginThrottled,
    UnknownUser,
    UserExists,
)
from app.auth.invitations import InvitationExpired, InvitationNotFound, InvitationUsed
from app.database import is_connection_lost
from app.logging import get_logger, redact_path
from checkin.errors import CheckinError, NotYourSession
from scheduling.errors import (
    ActivityNotFound,
    InvalidRule,
    NotYourActivity,
    RegistrationNotFound,
    SchedulingError,
    SessionChangeRefused,
    SessionFull,
    SessionNotFound,
    SignupClosed,
)
from scheduling.locking import Busy, is_contention
from scheduling.services import ClosureNotFound, EmployerNotFound
from scheduling.services.visits import VisitError

log = get_logger("treffpunkt.http")

_AUTH_STATUS: dict[type[AuthError], int] = {
    InvalidUserData: 400,
    UserExists: 409,
    UnknownUser: 404,
    InvalidCredentials: 401,
    LoginThrottled: 429,
    InvitationNotFound: 404,
    InvitationExpired: 410,
    InvitationUsed: 410,
}


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    """Pages answer with pages; the API, the schema, feeds and images answer JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/schema", "/health", "/ics/", "/static/")):
        return False
    return not path.endswith((".svg", ".png", ".ics", ".json", ".csv", ".xlsx"))


def json_error(
    status_code: int, detail: str, extra: Any = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        {"status_code": status_code, "detail": detail, "extra": extra},
        status_code=status_code,
        media_type=MediaType.JSON,
        headers=headers,
    )


def auth_error_handler(_: Request[Any, Any, Any], exc: AuthError) -> Response[Any]:
    status = _AUTH_STATUS.get(type(exc), 400)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LoginThrottled) else None
    extra = {"field": exc.field} if isinstance(exc, InvalidUserData) else None
    return json_error(status, str(exc), extra, headers)


def _scheduling_status(exc: SchedulingError) -> int:
    if isinstance(exc, VisitError):
        return exc.status_code
    if isinstance(exc, ActivityNotFound | SessionNotFound | EmployerNotFound | ClosureNotFound | RegistrationNotFound):
        return 404
    if isinstance(exc, NotYourActivity):
        return 403
    if isinstance(exc, SessionChangeRefused | SignupClosed | SessionFull):
        return 409
    if isinstance(exc, Busy):
        return 503
    return 400


OUT_OF_RANGE = "A number in the request is too large. Please check the ids and numbers you sent."


def _is_out_of_range(exc: Exception) -> bool:
    """An integer the database cannot hold (SQLite: OverflowError; asyncpg: a DataError naming the range)."""
    if isinstance(exc, OverflowError):
        return True
    if isinstance(exc, asyncpg.NumericValueOutOfRangeError):
        return True
    return isinstance(exc, asyncpg.DataError) and "out of int" in str(exc)


def _client_error(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    if _wants_html(request):
        from app.pages import render

        return render(request, "error.html", status_code=status, error_status=status, detail=detail)
    return json_error(status, detail)


def out_of_range_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A fuzzed or mistyped huge id is the client's mistake, not ours."""
    if _is_out_of_range(exc):
        return _client_error(request, 400, OUT_OF_RANGE)
    return internal_error_handler(request, exc)


def database_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Contention and a lost connection are a retryable 503; a number out of range a 400; else a logged 500."""
    if _is_out_of_range(exc):
        return _client_error(request, 400, OUT_OF_RANGE)
    if is_connection_lost(exc):
        log.warning("database_connection_lost", path=redact_path(request.url.path), error_type=type(exc).__name__)
        return json_error(
            503,
            "We lost the connection to our database for a moment. Please try again.",
            headers={"Retry-After": str(Busy.retry_after)},
        )
    if is_contention(exc):
        return json_error(
            503,
            "Many people are signing up right now. Please try again in a moment.",
            headers={"Retry-After": str(Busy.retry_after)},
        )
    return internal_error_handler(request, exc)


def _not_your_activity_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """A facilitator outside ``scheduling.access``'s rule on a staff page: the staff error page, in their language,
    saying whom to ask."""
    from app.i18n import translations
    from app.pages import render, request_language
    from scheduling.access import NOT_YOUR_ACTIVITY

    detail = translations(request_language(request)).gettext(NOT_YOUR_ACTIVITY)
    return render(request, "staff/profile_error.html", status_code=403, error_status=403, detail=detail)


def scheduling_error_handler(request: Request[Any, Any, Any], exc: SchedulingError) -> Response[Any]:
    status = _scheduling_status(exc)
    headers = {"Retry-After": str(Busy.retry_after)} if isinstance(exc, Busy) else None
    if isinstance(exc, NotYourActivity) and _wants_html(request):
        return _not_your_activity_page(request)
    if _wants_html(request):
        from app.pages import render

        return render(request, "error.html", status_code=status, error_status=status, detail=str(exc))
    extra = {"field": exc.field} if exc.field else None
    if isinstance(exc, InvalidRule):
        extra = {"field": "rrule", "part": exc.part}
    return json_error(status, str(exc), extra, headers)


def checkin_error_handler(request: Request[Any, Any, Any], exc: CheckinError) -> Response[Any]:
    if isinstance(exc, NotYourSession) and _wants_html(request):
        return _not_your_activity_page(request)
    if _wants_html(request):
        from app.pages import render

        return render(request, "error.html", status_code=exc.status_code, error_status=exc.status_code, detail=str(exc))
    return json_error(exc.status_code, str(exc), {"field": exc.field} if exc.field else None)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and _wants_html(request) and request.method == "GET":
        return Redirect(f"/staff/login?next={request.url.path}")
    if _wants_html(request):
        from app.pages import render

        return render(
            request, "error.html", status_code=exc.status_code, error_status=exc.status_code, detail=exc.detail
        )
    return json_error(exc.status_code, exc.detail, exc.extra, exc.headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The traceback's frames, not the exception's message: it may carry personal data.
    frames = "".join(traceback.format_tb(exc.__traceback__)[-5:])
    log.error("unhandled_error", path=redact_path(request.url.path), error_type=type(exc).__name__, frames=frames)
    return json_error(HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.")
