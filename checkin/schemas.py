"""Shapes of the check-in API (msgspec structs, validated at the boundary)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from checkin.outcomes import CheckinResult, Reason
from checkin.services import MAX_ID, Mark

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


class SeriesSessionOut(Struct):
    id: int
    starts_at: datetime
    date: Annotated[str, Meta(description="Local date in the activity's time zone")]
    time: Annotated[str, Meta(description="Local start time, HH:MM")]
    status: str
    present: int


class SeriesPersonOut(Struct):
    participant_id: int
    name: str
    language: str
    marks: Annotated[
        list[Mark],
        Meta(description="One per session, in the order of `sessions`: " + ", ".join(mark.value for mark in Mark)),
    ]
    present: int
    no_shows: int
    excused: int
    rate: Annotated[float | None, Meta(description="present / (present + no_shows), null when expected nowhere")]


class SeriesAttendanceOut(Struct):
    activity_id: int
    title: str
    kind: str
    timezone: str
    start: datetime | None
    end: datetime
    sessions: list[SeriesSessionOut]
    omitted_sessions: Annotated[int, Meta(description="Earlier sessions of the period left out (at most 52 shown)")]
    people: list[SeriesPersonOut]


class PersonAttendanceOut(Struct):
    participant_id: int
    name: str
    language: str
    activities: int
    sessions: int
    present: int
    walk_ins: int
    no_shows: int
    excused: int
    waitlisted: int
    upcoming: int
    cancelled: int
    rate: float | None
    first_present: Annotated[str, Meta(description="Local date of the first session attended, or empty")]
    last_present: str


class PeopleReportOut(Struct):
    start: datetime
    end: datetime
    people: list[PersonAttendanceOut]


class KindCountsOut(Struct):
    sessions: int
    registered: int
    attended: int
    walk_ins: int


class WeekOut(Struct):
    week: Annotated[str, Meta(description="ISO week, e.g. 2026-W07")]
    starts_on: Annotated[str, Meta(description="The Monday, YYYY-MM-DD")]
    sessions: int
    registered: Annotated[int, Meta(description="Confirmed registrations made before the door")]
    attended: Annotated[int, Meta(description="Registered people who were checked in")]
    walk_ins: Annotated[int, Meta(description="People who came without registering, named or counted")]
    by_kind: dict[str, KindCountsOut]


class WeeklyReportOut(Struct):
    start: datetime
    end: datetime
    kind: str | None
    weeks: list[WeekOut]
    totals: dict[str, KindCountsOut]
