"""Shapes of the scheduling API (msgspec structs, validated at the boundary)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from scheduling.kinds import ActivityKind, ActivityStatus, RegistrationStatus, SessionStatus

Text200 = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=5000)]
LanguageCode = Annotated[str, Meta(min_length=2, max_length=12)]


class VenueIn(Struct, forbid_unknown_fields=True):
    name: Text200
    address: Annotated[str, Meta(max_length=500)] = ""
    accessibility: Annotated[str, Meta(max_length=1000)] = ""


class VenueOut(Struct):
    id: int
    name: str
    address: str
    accessibility: str


class ActivityCreate(Struct, forbid_unknown_fields=True):
    kind: ActivityKind
    title: Annotated[dict[str, Text200], Meta(description="Title per language code, e.g. {'de': '…', 'ar': '…'}")]
    start: Annotated[str, Meta(description="Local wall-clock start in the activity's timezone, e.g. 2026-10-01T10:00")]
    languages: Annotated[list[LanguageCode], Meta(min_length=1, max_length=20)]
    description: dict[str, LongText] = {}
    timezone: Annotated[str, Meta(max_length=64)] | None = None
    duration_minutes: int | UnsetType = UNSET
    rrule: Annotated[str, Meta(max_length=500)] | None = None
    exdates: Annotated[list[str], Meta(max_length=500)] = []
    rdates: Annotated[list[str], Meta(max_length=500)] = []
    capacity: Annotated[int | None, Meta(description="null: unlimited; omitted: the kind's default")] | UnsetType = (
        UNSET
    )
    waitlist: bool | UnsetType = UNSET
    venue: VenueIn | None = None
    venue_id: int | None = None
    employer_id: int | None = None
    facilitator_ids: list[int] = []


class ActivityUpdate(Struct, forbid_unknown_fields=True):
    """Change a series. Schedule fields (start, duration, rrule, exdates, rdates, timezone)
    apply from ``from_date`` on: earlier sessions stay as they were."""

    from_date: date | None = None
    title: dict[str, Text200] | UnsetType = UNSET
    description: dict[str, LongText] | UnsetType = UNSET
    languages: Annotated[list[LanguageCode], Meta(min_length=1, max_length=20)] | UnsetType = UNSET
    timezone: str | UnsetType = UNSET
    start: str | UnsetType = UNSET
    duration_minutes: int | UnsetType = UNSET
    rrule: str | UnsetType | None = UNSET
    exdates: list[str] | UnsetType = UNSET
    rdates: list[str] | UnsetType = UNSET
    capacity: int | UnsetType | None = UNSET
    waitlist: bool | UnsetType = UNSET
    venue: VenueIn | UnsetType | None = UNSET
    facilitator_ids: list[int] | UnsetType = UNSET


class ActivityOut(Struct, omit_defaults=True):
    id: int
    kind: ActivityKind
    status: ActivityStatus
    title: dict[str, str]
    description: dict[str, str]
    timezone: str
    start: str
    duration_minutes: int
    rrule: str | None
    exdates: list[str]
    rdates: list[str]
    capacity: int | None
    waitlist: bool
    languages: list[str]
    venue: VenueOut | None
    employer_id: int | None
    continues_id: int | None
    ics_url: str
    next_session_at: datetime | None = None
    facilitator_ids: list[int] | None = None


class SessionOut(Struct):
    id: int
    activity_id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    capacity: int | None
    confirmed: int
    waitlisted: int
    seats_left: int | None
    cancel_reason: str = ""


class SessionListItem(Struct):
    """A session with what a list of upcoming sessions shows about its activity."""

    id: int
    activity_id: int
    kind: ActivityKind
    title: dict[str, str]
    languages: list[str]
    timezone: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    capacity: int | None
    confirmed: int
    waitlisted: int
    seats_left: int | None


class SessionPatch(Struct, forbid_unknown_fields=True):
    status: SessionStatus | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    duration_minutes: int | UnsetType = UNSET
    capacity: int | UnsetType | None = UNSET
    reason: Annotated[str, Meta(max_length=200)] = ""


class ClosureIn(Struct, forbid_unknown_fields=True):
    day: date
    name: Text200 = ""


class ClosureOut(Struct):
    id: int
    day: date
    name: str
    cancelled_sessions: int = 0


class EmployerIn(Struct, forbid_unknown_fields=True):
    name: Text200
    address: Annotated[str, Meta(max_length=500)] = ""
    contact_email: Annotated[str, Meta(max_length=254)] = ""
    contact_phone: Annotated[str, Meta(max_length=40)] = ""
    sector: Text200 = ""
    site_languages: list[LanguageCode] = []
    accessibility: Annotated[str, Meta(max_length=1000)] = ""
    visitor_requirements: Annotated[str, Meta(max_length=1000)] = ""
    description: dict[str, LongText] = {}


class EmployerOut(Struct):
    id: int
    name: str
    sector: str
    address: str
    site_languages: list[str]
    accessibility: str
    visitor_requirements: str
    description: dict[str, str]
    contact_email: str | None = None
    contact_phone: str | None = None


class RegistrationIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    language: LanguageCode
    phone: Annotated[str, Meta(max_length=40)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None
    consent: bool = False
    series: Annotated[bool, Meta(description="register for every later session of the series too")] = False


class RegistrationCreated(Struct, omit_defaults=True):
    id: int
    status: RegistrationStatus
    token: str | None = None
    manage_url: str | None = None
    qr_url: str | None = None
    ics_url: str | None = None
    waitlist_position: int | None = None
    already_registered: bool = False
    detail: str | None = None
    series_registrations: int = 0


class RegistrationOut(Struct):
    id: int
    status: RegistrationStatus
    name: str
    language: str
    phone: str | None
    email: str | None
    waitlist_position: int | None
    session: SessionOut
    activity_id: int
    title: dict[str, str]
    manage_url: str
    qr_url: str
    ics_url: str


class ContactPatch(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    phone: Annotated[str, Meta(max_length=40)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None
    language: LanguageCode | None = None


class RosterEntry(Struct):
    id: int
    participant_id: int
    name: str
    phone: str | None
    email: str | None
    language: str
    status: RegistrationStatus
    waitlist_position: int | None
    source: str
    registered_at: datetime


class MoveIn(Struct, forbid_unknown_fields=True):
    session_id: int


class MergeIn(Struct, forbid_unknown_fields=True):
    into: int


class MergeOut(Struct):
    into: int
    registrations_moved: int


class HistoryEntry(Struct):
    at: datetime
    actor: str
    from_status: str
    to_status: str
    note: str
