"""Litestar guards: who may call a route.

``require_role(Role.coordinator)`` lets coordinators and admins through; anyone else
who is signed in gets 403, and nobody signed in gets 401.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.auth.roles import STAFF_ROLES, Role
from app.auth.services import CurrentUser

# Guards are coroutines: Litestar runs a plain function guard in a worker thread, which cost
# more than the check itself on every staff request.
Guard = Callable[[ASGIConnection, BaseRouteHandler], Coroutine[Any, Any, None]]


def current_user(connection: ASGIConnection) -> CurrentUser | None:
    user = connection.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def require_user(connection: ASGIConnection) -> CurrentUser:
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException(
            "Sign in first: send 'Authorization: Bearer <token>' (create one with treffpunkt create-token)."
        )
    return user


def require_role(*roles: Role) -> Guard:
    """A guard admitting the given roles; admins are always admitted."""
    names = ", ".join(role.value for role in (Role.admin, *roles) if role)

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = require_user(connection)
        if not user.has_role(*roles):
            raise PermissionDeniedException(f"This needs one of the roles {names}; you are {user.role.value}.")

    guard.__name__ = "require_" + "_or_".join(role.value for role in roles)
    return guard


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Any authenticated account, hosts included."""
    require_user(connection)


require_staff = require_role(*STAFF_ROLES)
require_coordinator = require_role(Role.coordinator)
require_admin = require_role(Role.admin)
