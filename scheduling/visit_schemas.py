"""Shapes of the company-visit API: slots, the gate's visitor list, feedback, interest, follow-ups."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from scheduling.kinds import ActivityStatus, RegistrationStatus

LanguageCode = Annotated[str, Meta(min_length=2, max_length=12)]
Languages = Annotated[list[LanguageCode], Meta(min_length=1, max_length=20)]
Duration = Annotated[int, Meta(ge=15, le=720, description="minutes, 15 to 720")]
Capacity = Annotated[int, Meta(ge=1, le=200, description="visitors, 1 to 200")]
Notes = Annotated[str, Meta(max_length=5000, description="what visitors will see and do")]
MeetingPoint = Annotated[str, Meta(max_length=300, description="where visitors are met, e.g. 'gate 2, at the porter'")]
Title = Annotated[
    str | dict[str, Annotated[str, Meta(max_length=200)]],
    Meta(description="a title, or titles per language; default 'Company visit: <employer>'"),
]
StartsAt = Annotated[
    str,
    Meta(
        max_length=40,
        description="ISO date-time with offset (2026-10-07T10:00:00+02:00) or local time (2026-10-07T10:00) "
        "in 'timezone'",
    ),
]


class SlotCreate(Struct, forbid_unknown_fields=True):
    starts_at: StartsAt
    duration_minutes: Duration = 120
    capacity: Capacity = 10
    languages: Annotated[list[LanguageCode], Meta(max_length=20, description="default: the site's languages")] = []
    notes: Notes = ""
    meeting_point: MeetingPoint = ""
    title: Title | None = None
    timezone: Annotated[str, Meta(max_length=64)] | None = None


class SlotUpdate(Struct, forbid_unknown_fields=True):
    """Change a slot before anyone has signed up; omitted fields stay as they are."""

    starts_at: StartsAt | UnsetType = UNSET
    timezone: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    duration_minutes: Duration | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    languages: Languages | UnsetType = UNSET
    notes: Notes | UnsetType = UNSET
    meeting_point: MeetingPoint | UnsetType = UNSET
    title: Title | UnsetType = UNSET


class SlotDecline(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(max_length=500, description="told to the host")]


class SlotFeedback(Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(max_length=2000)]


class SlotOut(Struct):
    """A company-visit slot: the activity id is the slot id."""

    id: int
    employer_id: int
    employer_name: str
    status: ActivityStatus
    title: dict[str, str]
    notes: str
    meeting_point: str
    timezone: str
    start: Annotated[str, Meta(description="local wall-clock start in 'timezone'")]
    starts_at: datetime | None
    ends_at: datetime | None
    duration_minutes: int
    capacity: int | None
    languages: list[str]
    session_id: int | None
    confirmed: int
    waitlisted: int
    seats_left: int | None
    decline_reason: str = ""
    decided_at: datetime | None = None
    feedback: str = ""
    feedback_at: datetime | None = None


class VisitorOut(Struct):
    """A visitor as the host sees them: first name and the initial of the last name, nothing else."""

    name: str
    language: str
    status: RegistrationStatus


class InterestIn(Struct, forbid_unknown_fields=True):
    interested: bool


class InterestOut(Struct):
    interested: bool


class FollowUpOut(Struct):
    """A participant who would like an internship or a job at the employer they visited."""

    registration_id: int
    participant_id: int
    name: str
    phone: str | None
    email: str | None
    language: str
    employer_id: int
    employer_name: str
    slot_id: int
    session_id: int
    visit_starts_at: datetime
    marked_at: datetime
