"""HTTP for host invitations: a coordinator creates the link (API); the host opens it and sets a password (pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from app.auth import invitations, services
from app.auth.controllers import language_cookie
from app.auth.errors import AuthError, InvalidUserData, UserExists
from app.auth.guards import require_coordinator, require_user
from app.auth.middleware import session_cookie
from app.i18n import LANGUAGE_COOKIE, is_supported
from app.pages import render, request_language
from app.settings import get_settings

AnyRequest = Request[Any, Any, Any]
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class InvitationIn(Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(max_length=254)]
    name: Annotated[str, Meta(max_length=200)] = ""
    language: Annotated[str, Meta(max_length=12, description="the host's language, if known")] | None = None


class InvitationOut(Struct):
    id: int
    email: str
    language: str | None
    invite_url: Annotated[str, Meta(description="single-use; pass it to the host. Shown only now.")]
    expires_at: datetime


@dataclass
class AcceptForm:
    name: str = ""
    password: str = ""
    password_again: str = ""
    language: str = ""


class HostInvitationController(Controller):
    path = "/api/v1/employers/{employer_id:int}/invitations"
    tags = ["company visits"]

    @post(guards=[require_coordinator], operation_id="inviteHost", status_code=201)
    async def invite(
        self, request: AnyRequest, employer_id: FromPath[int], data: JSONBody[InvitationIn]
    ) -> InvitationOut:
        """Invite a host of this employer: a single-use link, valid for 7 days, to set a password."""
        language = services.validate_language(data.language)
        issued = await invitations.invite_host(
            employer_id, data.email, name=data.name, invited_by=require_user(request).id, language=language
        )
        return InvitationOut(
            id=issued.id,
            email=services.normalise_email(data.email),
            language=language,
            invite_url=f"{get_settings().base_url}{invitations.INVITE_PATH}{issued.token}",
            expires_at=issued.expires_at,
        )


def _gone(request: AnyRequest, error: AuthError) -> Template:
    """A clear page for a link that cannot be used (any more)."""
    if isinstance(error, invitations.InvitationNotFound):
        status, reason = 404, "unknown"
    elif isinstance(error, invitations.InvitationExpired):
        status, reason = 410, "expired"
    elif isinstance(error, UserExists):
        status, reason = 409, "exists"
    else:
        status, reason = 410, "used"
    page = render(request, "host/invite_gone.html", status_code=status, reason=reason)
    page.headers.update(PRIVATE_HEADERS)
    return page


def _chosen_language(request: AnyRequest, pending: invitations.PendingInvitation) -> str:
    """Preselected on the form: the language the host picked for the page, else the coordinator's, else the page's."""
    for explicit in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if is_supported(explicit):
            return str(explicit)
    return pending.language or request_language(request)


def _form(
    request: AnyRequest,
    pending: invitations.PendingInvitation,
    name: str,
    error: str | None,
    status: int = 200,
    language: str | None = None,
) -> Template:
    page = render(
        request,
        "host/invite.html",
        status_code=status,
        email=pending.email,
        name=name,
        error=error,
        min_length=services.MIN_PASSWORD_LENGTH,
        chosen_language=language or _chosen_language(request, pending),
    )
    page.headers.update(PRIVATE_HEADERS)
    return page


class HostInvitationPages(Controller):
    path = "/host/invite/{token:str}"
    include_in_schema = False

    @get()
    async def show(self, request: AnyRequest, token: FromPath[str]) -> Template:
        try:
            pending = await invitations.pending_invitation(token)
        except invitations.InvitationError as error:
            return _gone(request, error)
        return _form(request, pending, pending.name, None)

    @post()
    async def accept(
        self, request: AnyRequest, token: FromPath[str], data: URLEncodedBody[AcceptForm]
    ) -> Template | Redirect:
        try:
            pending = await invitations.pending_invitation(token)
        except invitations.InvitationError as error:
            return _gone(request, error)
        if not is_supported(data.language) and data.language:
            return _form(request, pending, data.name, "language", 400)
        if data.password != data.password_again:
            return _form(request, pending, data.name, "mismatch", 400, data.language)
        try:
            await invitations.accept_invitation(token, data.password, name=data.name, language=data.language or None)
        except InvalidUserData:
            return _form(request, pending, data.name, "short", 400, data.language)
        except (invitations.InvitationError, UserExists) as error:
            return _gone(request, error)
        return await _sign_in(request, pending.email, data.password)


async def _sign_in(request: AnyRequest, email: str, password: str) -> Redirect:
    """Open a session for the new host, as the login form would; on any trouble, send them to it."""
    settings = get_settings()
    client = request.client.host if request.client else "unknown"
    try:
        user, token = await services.login(email, password, client=client, limit=settings.login_rate_limit)
    except AuthError:
        return Redirect("/staff/login?next=/host", status_code=303)
    redirect = Redirect("/host", status_code=303)
    lifetime = int(services.SESSION_LIFETIME.total_seconds())
    redirect.set_cookie(session_cookie(token, secure=settings.base_url.startswith("https://"), max_age=lifetime))
    if user.language:  # the portal speaks the language the host chose
        redirect.set_cookie(language_cookie(user.language))
    return redirect


__all__ = ["HostInvitationController", "HostInvitationPages"]
