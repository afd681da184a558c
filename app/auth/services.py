"""The rules of staff accounts: creating users, passwords, API tokens, login sessions.

Plain async functions; the CLI, the pages and the API all call these.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.auth.errors import (
    InvalidCredentials,
    InvalidUserData,
    LoginThrottled,
    UnknownUser,
    UserExists,
)
from app.auth.roles import Role
from app.auth.tables import ApiToken, LoginFailure, StaffSession, StaffUser
from app.database import fetch, write_transaction
from app.i18n import LANGUAGES
from app.settings import RateLimit
from scheduling.languages import is_language_code

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_PREFIX = "tp_"


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so a wrong e-mail takes as
    long as a wrong password. Made on first use: hashing at import cost every process (the
    worker, every CLI command) about 0.35 s of start-up."""
    return _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """Who is making a request: an authenticated staff member or host."""

    id: int
    email: str
    name: str
    role: Role
    employer_id: int | None
    language: str | None = None  # the e-mail language chosen for the account; None: the project's default

    def has_role(self, *roles: Role) -> bool:
        return self.role is Role.admin or self.role in roles


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: int
    token: str  # shown once, never stored


def now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _to_current_user(row: dict[str, object]) -> CurrentUser:
    employer = row.get("employer_id")
    return CurrentUser(
        id=int(row["id"]),  # type: ignore[call-overload]
        email=str(row["email"]),
        name=str(row["name"] or ""),
        role=Role(row["role"]),
        employer_id=int(employer) if employer is not None else None,  # type: ignore[call-overload]
        language=str(row["language"]) if row.get("language") else None,
    )


def validate_language(code: str | None) -> str | None:
    """A staff account's language: one of the languages the pages and messages speak, or ``None`` (the default)."""
    if code is None or not code.strip():
        return None
    code = code.strip()
    if not is_language_code(code) or code not in LANGUAGES:
        raise InvalidUserData(
            "language", f"{code[:20]!r} is not a language Treffpunkt speaks; use one of {', '.join(LANGUAGES)}"
        )
    return code


def validate_new_user(email: str, role: str, password: str, employer_id: int | None) -> Role:
    if not _EMAIL_RE.match(email):
        raise InvalidUserData("email", f"{email!r} is not an e-mail address")
    if role not in Role.values():
        raise InvalidUserData("role", f"role must be one of {', '.join(Role.values())}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUserData("password", f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    parsed = Role(role)
    if parsed is Role.host and employer_id is None:
        raise InvalidUserData("employer", "a host belongs to an employer: give --employer ID")
    if parsed is not Role.host and employer_id is not None:
        raise InvalidUserData("employer", "only hosts belong to an employer")
    return parsed


async def create_user(
    email: str,
    role: str,
    password: str,
    *,
    name: str = "",
    employer_id: int | None = None,
    language: str | None = None,
) -> int:
    """Create a staff account and return its id; ``language`` ``None`` means the project's default."""
    email = normalise_email(email)
    parsed = validate_new_user(email, role, password, employer_id)
    language = validate_language(language)
    password_hash = _hasher.hash(password)
    async with write_transaction():
        if await StaffUser.exists().where(StaffUser.email == email):
            raise UserExists(f"there is already an account for {email}")
        rows = await StaffUser.insert(
            StaffUser(
                email=email,
                name=name.strip(),
                role=parsed.value,
                password_hash=password_hash,
                employer_id=employer_id,
                created_at=now(),
                language=language,
            )
        ).returning(StaffUser.id)
    return int(rows[0]["id"])


async def set_language(user_id: int, language: str | None) -> str | None:
    """Store the account's language (``None`` or ``""``: back to the project's default); returns what is stored."""
    language = validate_language(language)
    rows = await StaffUser.update({StaffUser.language: language}).where(StaffUser.id == user_id).returning(StaffUser.id)
    if not rows:
        raise UnknownUser(f"there is no account with id {user_id}")
    forget_cached_tokens()  # the account a remembered token stands for has changed
    return language


async def get_user_by_email(email: str) -> CurrentUser:
    row = await StaffUser.select(*_USER_COLUMNS).where(StaffUser.email == normalise_email(email)).first()
    if row is None:
        raise UnknownUser(f"there is no account for {normalise_email(email)}")
    return _to_current_user(row)


_USER_COLUMNS = (
    StaffUser.id,
    StaffUser.email,
    StaffUser.name,
    StaffUser.role,
    StaffUser.employer_id,
    StaffUser.language,
)


# --- API tokens ---------------------------------------------------------------------


async def issue_api_token(user_id: int, name: str = "") -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    rows = await ApiToken.insert(
        ApiToken(user=user_id, name=name.strip()[:100], token_hash=digest(token), prefix=token[:10], created_at=now())
    ).returning(ApiToken.id)
    return IssuedToken(id=int(rows[0]["id"]), token=token)


# Every API call with a bearer token runs this; written out as plain SQL (both databases accept it)
# because building Piccolo's joined SELECT cost more than many of the requests it guards (bench/README.md).
_TOKEN_USER = (
    "SELECT t.id, t.last_used_at, u.id AS user_id, u.email, u.name, u.role, u.employer_id, u.language, u.active"
    " FROM api_token t JOIN staff_user u ON u.id = t.user"
    " WHERE t.token_hash = {} AND t.revoked_at IS NULL"
)


# Who a token belongs to, remembered for a few seconds: the lookup was the largest part of
# a check-in scan (bench/README.md). A token revoked in this process is forgotten at once;
# other web processes stop accepting it within TOKEN_CACHE_SECONDS.
TOKEN_CACHE_SECONDS = 5.0
_TOKEN_CACHE_MAX = 1024
_token_cache: dict[str, tuple[float, CurrentUser]] = {}


def forget_cached_tokens() -> None:
    """Forget every remembered token (after a revocation or a change to an account)."""
    _token_cache.clear()


async def user_for_api_token(token: str) -> CurrentUser | None:
    """The active user a bearer token belongs to, or ``None`` for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    token_digest = digest(token)
    cached = _token_cache.get(token_digest)
    clock = time.monotonic()
    if cached is not None and cached[0] > clock:
        return cached[1]
    rows = await fetch(_TOKEN_USER, token_digest)
    row = rows[0] if rows else None
    if row is None or not row["active"]:
        _token_cache.pop(token_digest, None)
        return None
    last_used = row["last_used_at"]
    if isinstance(last_used, str):  # SQLite hands raw timestamps back as text
        last_used = datetime.fromisoformat(last_used)
    if last_used is None or now() - last_used > timedelta(minutes=5):
        await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == row["id"])
    user = _to_current_user({**row, "id": row["user_id"]})
    if len(_token_cache) >= _TOKEN_CACHE_MAX:
        _token_cache.clear()
    _token_cache[token_digest] = (clock + TOKEN_CACHE_SECONDS, user)
    return user


async def list_api_tokens(user_id: int) -> list[dict[str, object]]:
    return await (
        ApiToken.select(
            ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at, ApiToken.revoked_at
        )
        .where(ApiToken.user == user_id)
        .order_by(ApiToken.id)
    )


async def revoke_api_token(token_id: int, *, user: CurrentUser) -> bool:
    """Revoke a token of ``user`` (an admin may revoke anyone's). ``False`` if there is none."""
    query = ApiToken.update({ApiToken.revoked_at: now()}).where(ApiToken.id == token_id, ApiToken.revoked_at.is_null())
    if user.role is not Role.admin:
        query = query.where(ApiToken.user == user.id)
    rows = await query.returning(ApiToken.id)
    forget_cached_tokens()
    return bool(rows)


# --- password login and sessions -------------------------------------------------------


async def _check_throttle(email_digest: str, client_digest: str, limit: RateLimit) -> None:
    if not limit.enabled:
        return
    since = now() - timedelta(seconds=limit.period_seconds)
    by_email = await LoginFailure.count().where(
        LoginFailure.email_digest == email_digest, LoginFailure.failed_at > since
    )
    by_client = await LoginFailure.count().where(
        LoginFailure.client_digest == client_digest, LoginFailure.failed_at > since
    )
    if by_email >= limit.count or by_client >= limit.count * 4:
        raise LoginThrottled(retry_after=limit.period_seconds)


async def login(email: str, password: str, *, client: str, limit: RateLimit) -> tuple[CurrentUser, str]:
    """Check a password and open a session; returns the user and the session cookie value."""
    email = normalise_email(email)
    email_digest, client_digest = digest("email:" + email), digest("client:" + client)
    await _check_throttle(email_digest, client_digest, limit)
    row = (
        await StaffUser.select(*_USER_COLUMNS, StaffUser.password_hash, StaffUser.active)
        .where(StaffUser.email == email)
        .first()
    )
    try:
        _hasher.verify(row["password_hash"] if row else _dummy_hash(), password)
        ok = row is not None and bool(row["active"])
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        await LoginFailure.insert(LoginFailure(email_digest=email_digest, client_digest=client_digest, failed_at=now()))
        raise InvalidCredentials("The e-mail address or the password is not right.")
    await LoginFailure.delete().where(LoginFailure.email_digest == email_digest)
    if _hasher.check_needs_rehash(row["password_hash"]):
        await StaffUser.update({StaffUser.password_hash: _hasher.hash(password)}).where(StaffUser.id == row["id"])
    session_token = secrets.token_urlsafe(32)
    await StaffSession.insert(
        StaffSession(
            user=row["id"], token_hash=digest(session_token), created_at=now(), expires_at=now() + SESSION_LIFETIME
        )
    )
    return _to_current_user(row), session_token


async def user_for_session(session_token: str) -> CurrentUser | None:
    if not session_token or len(session_token) > 200:
        return None
    row = await (
        StaffSession.select(
            StaffSession.user.id.as_alias("id"),
            StaffSession.user.email.as_alias("email"),
            StaffSession.user.name.as_alias("name"),
            StaffSession.user.role.as_alias("role"),
            StaffSession.user.employer_id.as_alias("employer_id"),
            StaffSession.user.language.as_alias("language"),
            StaffSession.user.active.as_alias("active"),
        )
        .where(StaffSession.token_hash == digest(session_token), StaffSession.expires_at > now())
        .first()
    )
    if row is None or not row["active"]:
        return None
    return _to_current_user(row)


async def logout(session_token: str) -> None:
    await StaffSession.delete().where(StaffSession.token_hash == digest(session_token))


async def purge_expired_sessions() -> int:
    """Delete expired sessions and old login failures; returns the sessions removed."""
    rows = await StaffSession.delete().where(StaffSession.expires_at < now()).returning(StaffSession.id)
    await LoginFailure.delete().where(LoginFailure.failed_at < now() - timedelta(days=1))
    return len(rows)
