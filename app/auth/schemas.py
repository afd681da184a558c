"""Shapes of the auth API and forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from app.auth.roles import Role


class Me(Struct):
    id: int
    email: str
    name: str
    role: Role
    employer_id: int | None
    language: Annotated[str | None, Meta(description="language of the account's e-mails; null: the default")] = None


class LanguageChange(Struct, forbid_unknown_fields=True):
    language: Annotated[str, Meta(max_length=12, description="one of the languages the pages speak")] | None


class TokenRequest(Struct):
    name: Annotated[str, Meta(max_length=100)] = ""


class NewToken(Struct):
    id: int
    token: Annotated[str, Meta(description="Shown only now; store it safely.")]


class TokenInfo(Struct):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class UserCreate(Struct):
    email: Annotated[str, Meta(max_length=254)]
    role: Role
    password: Annotated[str, Meta(min_length=10, max_length=1000)]
    name: Annotated[str, Meta(max_length=200)] = ""
    employer_id: int | None = None
    language: Annotated[str, Meta(max_length=12)] | None = None


class UserCreated(Struct):
    id: int


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class TokenForm:
    name: str = ""


@dataclass
class LanguageForm:
    language: str = ""
    next: str = ""
