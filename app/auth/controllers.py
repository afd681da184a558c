"""HTTP for accounts: the ``/api/v1/auth`` API and the staff sign-in pages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from app.auth import services
from app.auth.errors import InvalidCredentials, InvalidUserData, LoginThrottled
from app.auth.guards import require_admin, require_staff, require_user, signed_in
from app.auth.middleware import SESSION_COOKIE, session_cookie
from app.auth.roles import Role
from app.auth.schemas import (
    LanguageChange,
    LanguageForm,
    LoginForm,
    Me,
    NewToken,
    TokenForm,
    TokenInfo,
    TokenRequest,
    UserCreate,
    UserCreated,
)
from app.i18n import LANGUAGE_COOKIE
from app.pages import render
from app.settings import get_settings


def _client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str) -> str:
    """Only same-site paths, so the login form cannot become an open redirect."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


def _landing_page(user: services.CurrentUser, target: str) -> str:
    """Hosts land in their portal rather than the staff workspace they may not open."""
    if user.role is Role.host and target in ("/staff", "/staff/"):
        return "/host"
    return target


def _me(user: services.CurrentUser) -> Me:
    return msgspec.convert(user, Me, from_attributes=True)


def language_cookie(language: str) -> Cookie:
    """The pages' language choice (as ``?lang=`` remembers it), set when an account's language is known."""
    return Cookie(key=LANGUAGE_COOKIE, value=language, max_age=365 * 86400, samesite="lax", path="/")


class AuthApiController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @get("/me", guards=[signed_in], operation_id="getMe")
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """The account the request is authenticated as."""
        return _me(require_user(request))

    @patch("/me", guards=[signed_in], operation_id="updateMe")
    async def update_me(self, request: Request[Any, Any, Any], data: JSONBody[LanguageChange]) -> Me:
        """Change your own account: the language of your e-mails (null: the project's default)."""
        user = require_user(request)
        language = await services.set_language(user.id, data.language)
        return _me(replace(user, language=language))

    @get("/tokens", guards=[signed_in], operation_id="listTokens")
    async def list_tokens(self, request: Request[Any, Any, Any]) -> list[TokenInfo]:
        """Your API tokens (never the secret itself)."""
        rows = await services.list_api_tokens(require_user(request).id)
        return [TokenInfo(**row) for row in rows]  # type: ignore[arg-type]

    @post("/tokens", guards=[signed_in], operation_id="createToken")
    async def create_token(self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest]) -> NewToken:
        """A new API token for yourself, shown once."""
        issued = await services.issue_api_token(require_user(request).id, data.name)
        return NewToken(id=issued.id, token=issued.token)

    @delete("/tokens/{token_id:int}", guards=[signed_in], operation_id="revokeToken")
    async def revoke_token(self, request: Request[Any, Any, Any], token_id: FromPath[int]) -> None:
        """Revoke a token; it stops working at once."""
        if not await services.revoke_api_token(token_id, user=require_user(request)):
            raise NotFoundException(f"You have no active token with id {token_id}.")


class UserApiController(Controller):
    path = "/api/v1/users"
    tags = ["auth"]
    guards = [require_admin]

    @post(operation_id="createUser")
    async def create_user(self, data: JSONBody[UserCreate]) -> UserCreated:
        """Create a staff or host account (admins only)."""
        user_id = await services.create_user(
            data.email,
            data.role.value,
            data.password,
            name=data.name,
            employer_id=data.employer_id,
            language=data.language,
        )
        return UserCreated(id=user_id)

    @patch("/{user_id:int}/language", operation_id="setUserLanguage")
    async def set_language(self, user_id: FromPath[int], data: JSONBody[LanguageChange]) -> LanguageChange:
        """Set the language of an account's e-mails (admins only; null: the project's default)."""
        return LanguageChange(language=await services.set_language(user_id, data.language))


class StaffAccountPages(Controller):
    path = "/staff"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next: FromQuery[str] = "/staff") -> Template:
        return render(request, "staff/login.html", next=_safe_next(next), email="", error=None)

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm]) -> Template | Redirect:
        settings = get_settings()
        try:
            user, token = await services.login(
                data.email, data.password, client=_client_address(request), limit=settings.login_rate_limit
            )
        except (InvalidCredentials, LoginThrottled) as exc:
            throttled = isinstance(exc, LoginThrottled)
            response = render(
                request,
                "staff/login.html",
                status_code=429 if throttled else 401,
                next=_safe_next(data.next),
                email=data.email,
                error="throttled" if throttled else "credentials",
            )
            if isinstance(exc, LoginThrottled):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        secure = settings.base_url.startswith("https://")
        redirect = Redirect(_landing_page(user, _safe_next(data.next)))
        redirect.set_cookie(
            session_cookie(token, secure=secure, max_age=int(services.SESSION_LIFETIME.total_seconds()))
        )
        if user.language:  # the pages speak the account's language from the start
            redirect.set_cookie(language_cookie(user.language))
        return redirect

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await services.logout(token)
        redirect = Redirect("/staff/login")
        redirect.delete_cookie(SESSION_COOKIE, path="/")
        return redirect

    @get("/account", guards=[signed_in])
    async def account(self, request: Request[Any, Any, Any]) -> Template:
        user = require_user(request)
        tokens = await services.list_api_tokens(user.id)
        return render(request, "staff/account.html", tokens=tokens, new_token=None)

    @post("/account/language", guards=[signed_in])
    async def set_language(self, request: Request[Any, Any, Any], data: URLEncodedBody[LanguageForm]) -> Redirect:
        """The account's language, from the account page, the host portal or the language picker of a signed-in
        person: stored on the account (for e-mails) and in the pages' language cookie."""
        user = require_user(request)
        wanted = data.next or "/staff/account"
        target = wanted if _safe_next(wanted) == wanted else "/staff/account"
        try:
            language = await services.set_language(user.id, data.language)
        except InvalidUserData as exc:
            raise ValidationException(str(exc), extra={"field": "language"}) from None
        redirect = Redirect(target, status_code=303)
        if language is None:
            redirect.delete_cookie(LANGUAGE_COOKIE, path="/")
        else:
            redirect.set_cookie(language_cookie(language))
        return redirect

    @post("/account/tokens", guards=[signed_in])
    async def create_token(self, request: Request[Any, Any, Any], data: URLEncodedBody[TokenForm]) -> Template:
        user = require_user(request)
        issued = await services.issue_api_token(user.id, data.name)
        tokens = await services.list_api_tokens(user.id)
        return render(request, "staff/account.html", status_code=201, tokens=tokens, new_token=issued.token)

    @post("/account/tokens/{token_id:int}/revoke", guards=[signed_in])
    async def revoke_token(self, request: Request[Any, Any, Any], token_id: FromPath[int]) -> Redirect:
        if not await services.revoke_api_token(token_id, user=require_user(request)):
            raise NotFoundException("No such token.")
        return Redirect("/staff/account")

    @get("/", guards=[require_staff])
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        from app.pages import request_language
        from app.staff_dashboard import build_dashboard

        return render(request, "staff/home.html", dashboard=await build_dashboard(request_language(request)))


__all__ = ["AuthApiController", "Response", "StaffAccountPages", "UserApiController"]
