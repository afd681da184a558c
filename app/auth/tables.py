"""Piccolo tables of staff accounts and their credentials.

Secrets are never stored in the clear: passwords as argon2 hashes, API tokens and
session tokens as SHA-256 digests (they are long random strings, so a fast hash is
enough and keeps the per-request lookup cheap).
"""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app.auth.roles import Role


class StaffUser(Table, tablename="staff_user"):
    id = Serial(primary_key=True)
    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=200, default="")
    role = Varchar(length=20, choices=Role)
    password_hash = Varchar(length=200, secret=True)
    employer_id = Integer(null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()
    # The language of the e-mails the account gets (a code of app.i18n.LANGUAGES); NULL: the project's default.
    language = Varchar(length=12, null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    id = Serial(primary_key=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100, default="")
    token_hash = Varchar(length=64, unique=True, index=True, secret=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class StaffSession(Table, tablename="staff_session"):
    id = Serial(primary_key=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    token_hash = Varchar(length=64, unique=True, index=True, secret=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class LoginFailure(Table, tablename="login_failure"):
    """One failed sign-in; keyed by digests so no address is stored in the clear."""

    id = Serial(primary_key=True)
    email_digest = Varchar(length=64, index=True)
    client_digest = Varchar(length=64, index=True)
    failed_at = Timestamptz(index=True)


class HostInvitation(Table, tablename="host_invitation"):
    """A single-use link for a new host: only the token's SHA-256 digest is stored."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True, secret=True)
    email = Varchar(length=254)
    name = Varchar(length=200, default="")
    employer_id = Integer()
    invited_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    user_id = Integer(null=True, default=None)  # the account created with it
    language = Varchar(length=12, null=True, default=None)  # the host's language, if the coordinator knows it
