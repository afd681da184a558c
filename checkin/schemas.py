"""Shapes of the check-in API (msgspec structs, validated at the boundary)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from checkin.outcomes import CheckinResult, Reason
from checkin.services import MAX_ID

Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Nonce = Annotated[str, Meta(min_length=1, max_length=100, description="A client-made id of this scan, e.g. a UUID")]
ScanTime = Annotated[
    datetime,
    Meta(tz=True, description="When the door saw the code (ISO 8601 with offset); a future time counts as now"),
]


class CheckinIn(Struct, forbid_unknown_fields=True):
    """Either ``code`` (the QR payload or a typed short code) or ``registration_id`` (picked by name)."""

    code: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    registration_id: Id | None = None
    session_id: Id | None = None  # the door's session; required with a typed short code
    scanned_at: ScanTime | None = None
    client_nonce: Nonce | None = None


class PersonOut(Struct):
    id: int
    name: str
    status: str
    session_id: int


class CheckinOut(Struct, omit_defaults=True):
    result: CheckinResult
    registration: PersonOut | None = None
    checked_in_at: datetime | None = None
    reason: Reason | None = None


class WalkInIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    language: Annotated[str, Meta(min_length=2, max_length=12)]
    phone: Annotated[str, Meta(max_length=40)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None


class UndoOut(Struct):
    undone: PersonOut
    checked_in_at: datetime


class HeadCountIn(Struct, forbid_unknown_fields=True):
    delta: Annotated[int, Meta(ge=-1000, le=1000, description="People to add; negative to correct a miscount")]


class HeadCountOut(Struct):
    session_id: int
    anonymous_walk_ins: int


class NoShowsOut(Struct):
    session_id: int
    no_shows: int


class AttendeeOut(Struct):
    registration_id: int
    name: str
    language: str
    status: str
    source: str
    checked_in_at: datetime | None
    method: str | None
    no_show: bool


class AttendanceOut(Struct):
    session_id: int
    expected: Annotated[int, Meta(description="Confirmed registrations made before the door (walk-ins not counted)")]
    checked_in: Annotated[int, Meta(description="Everyone checked in, walk-ins included")]
    walk_ins: int
    anonymous_walk_ins: int
    no_shows: int
    people: list[AttendeeOut]
