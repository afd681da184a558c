"""Resolve who is calling, once per request, into ``scope["user"]``.

API clients send ``Authorization: Bearer <token>``; people in a browser carry the
session cookie set at sign-in. A bearer header that does not name a valid token is
refused with 401 at once, even on public routes, so a client never mistakes a typo in
its token for anonymous access.
"""

from __future__ import annotations

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.auth import services

SESSION_COOKIE = "tp_session"


def session_cookie(value: str, *, secure: bool, max_age: int | None) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value=value, path="/", httponly=True, secure=secure, samesite="lax", max_age=max_age
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            user = await services.user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                raise NotAuthorizedException(
                    "The bearer token is not valid, or has been revoked.",
                    headers={"WWW-Authenticate": 'Bearer realm="treffpunkt"'},
                )
            scope["user"] = user
        else:
            session = _cookie(scope, SESSION_COOKIE)
            if session:
                scope["user"] = await services.user_for_session(session)
        await next_app(scope, receive, send)
