"""Inviting hosts: a coordinator creates a single-use link; the host sets a password there.

The link's token is 256 random bits and only its SHA-256 digest is stored. A link works
once and for :data:`INVITATION_LIFETIME`. Using it marks it used and creates the host
account (bound to the invitation's employer) in one transaction, so two tabs sending
the form at once create one account.

Errors (all :class:`app.auth.errors.AuthError`):

InvitationError
 ├── InvitationNotFound     no such link (404)
 ├── InvitationExpired      the link is older than its lifetime (410)
 └── InvitationUsed         the link was used already (410)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.auth.errors import AuthError, InvalidUserData, UserExists
from app.auth.roles import Role
from app.auth.services import (
    _EMAIL_RE,
    create_user,
    digest,
    normalise_email,
    now,
    validate_language,
    validate_new_user,
)
from app.auth.tables import HostInvitation, StaffUser
from app.database import write_transaction
from scheduling.services.employers import EmployerNotFound, employer_exists

INVITATION_LIFETIME = timedelta(days=7)
INVITE_PATH = "/host/invite/"


class InvitationError(AuthError):
    pass


class InvitationNotFound(InvitationError):
    pass


class InvitationExpired(InvitationError):
    pass


class InvitationUsed(InvitationError):
    pass


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    id: int
    token: str  # shown once, in the link; never stored
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    id: int
    email: str
    name: str
    employer_id: int
    expires_at: datetime
    language: str | None = None  # as the coordinator gave it; the host may choose another


async def invite_host(
    employer_id: int,
    email: str,
    *,
    name: str = "",
    invited_by: int | None = None,
    language: str | None = None,
    at: datetime | None = None,
) -> IssuedInvitation:
    """A new single-use invitation link for a host of ``employer_id`` (``language``: the host's, if known)."""
    at = at or now()
    email = normalise_email(email)
    if not _EMAIL_RE.match(email):
        raise InvalidUserData("email", f"{email!r} is not an e-mail address")
    language = validate_language(language)
    if not await employer_exists(employer_id):
        raise EmployerNotFound(f"There is no employer with id {employer_id}.")
    if await StaffUser.exists().where(StaffUser.email == email):
        raise UserExists(f"there is already an account for {email}")
    token = secrets.token_urlsafe(32)
    expires_at = at + INVITATION_LIFETIME
    rows = await HostInvitation.insert(
        HostInvitation(
            token_hash=digest(token),
            email=email,
            name=name.strip()[:200],
            employer_id=employer_id,
            invited_by=invited_by,
            created_at=at,
            expires_at=expires_at,
            language=language,
        )
    ).returning(HostInvitation.id)
    return IssuedInvitation(id=int(rows[0]["id"]), token=token, expires_at=expires_at)


async def pending_invitation(token: str, *, at: datetime | None = None) -> PendingInvitation:
    """The invitation a link stands for, if it may still be used."""
    at = at or now()
    if not token or len(token) > 100:
        raise InvitationNotFound("This invitation link is not valid.")
    row = await HostInvitation.select().where(HostInvitation.token_hash == digest(token)).first()
    if row is None:
        raise InvitationNotFound("This invitation link is not valid.")
    if row["used_at"] is not None:
        raise InvitationUsed("This invitation link has been used already. Sign in with your e-mail and password.")
    if row["expires_at"] <= at:
        raise InvitationExpired("This invitation link has expired. Ask the coordinators for a new one.")
    return PendingInvitation(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        employer_id=row["employer_id"],
        expires_at=row["expires_at"],
        language=row["language"],
    )


async def accept_invitation(
    token: str, password: str, *, name: str = "", language: str | None = None, at: datetime | None = None
) -> int:
    """Use the link: create the host account with this password and return its id.

    ``language`` is the one the host chose; without it, the one the coordinator gave, else the project's default.
    """
    at = at or now()
    async with write_transaction():
        invitation = await pending_invitation(token, at=at)
        validate_new_user(invitation.email, Role.host.value, password, invitation.employer_id)
        language = validate_language(language) or invitation.language
        taken = (
            await HostInvitation.update({HostInvitation.used_at: at})
            .where(HostInvitation.id == invitation.id, HostInvitation.used_at.is_null())
            .returning(HostInvitation.id)
        )
        if not taken:
            raise InvitationUsed("This invitation link has been used already. Sign in with your e-mail and password.")
        user_id = await create_user(
            invitation.email,
            Role.host.value,
            password,
            name=(name.strip() or invitation.name)[:200],
            employer_id=invitation.employer_id,
            language=language,
        )
        await HostInvitation.update({HostInvitation.user_id: user_id}).where(HostInvitation.id == invitation.id)
    return user_id


__all__ = [
    "INVITATION_LIFETIME",
    "INVITE_PATH",
    "InvitationError",
    "InvitationExpired",
    "InvitationNotFound",
    "InvitationUsed",
    "IssuedInvitation",
    "PendingInvitation",
    "accept_invitation",
    "invite_host",
    "pending_invitation",
]
