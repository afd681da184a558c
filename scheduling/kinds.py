"""The kinds of activity and their sensible defaults."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActivityKind(StrEnum):
    small_group = "small_group"
    cafe = "cafe"
    company_visit = "company_visit"
    coaching = "coaching"


class ActivityStatus(StrEnum):
    proposed = "proposed"  # a host's company-visit slot awaiting approval: not public
    published = "published"
    declined = "declined"
    withdrawn = "withdrawn"


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class RegistrationStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


@dataclass(frozen=True, slots=True)
class KindDefaults:
    duration_minutes: int
    capacity: int | None
    waitlist: bool
    recurring: bool  # may it have an RRULE?


KIND_DEFAULTS: dict[ActivityKind, KindDefaults] = {
    ActivityKind.small_group: KindDefaults(duration_minutes=240, capacity=12, waitlist=True, recurring=True),
    ActivityKind.cafe: KindDefaults(duration_minutes=120, capacity=None, waitlist=False, recurring=True),
    ActivityKind.company_visit: KindDefaults(duration_minutes=120, capacity=10, waitlist=True, recurring=False),
    ActivityKind.coaching: KindDefaults(duration_minutes=60, capacity=1, waitlist=False, recurring=True),
}
