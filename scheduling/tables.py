"""Piccolo tables of the scheduling domain.

Instants are stored in UTC (``Timestamptz``). An activity keeps its start as a local
wall-clock time plus its IANA time zone, because recurrence is computed in that zone.
Sessions are stored as rows: they carry registrations and attendance.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

from scheduling.kinds import ActivityKind, ActivityStatus, RegistrationStatus, SessionStatus


class Venue(Table, tablename="venue"):
    id = Serial(primary_key=True)
    name = Varchar(length=200)
    address = Text(default="")
    accessibility = Text(default="")
    created_at = Timestamptz()


class Employer(Table, tablename="employer"):
    id = Serial(primary_key=True)
    name = Varchar(length=200)
    sector = Varchar(length=200, default="")
    address = Text(default="")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=40, default="")
    site_languages = JSON(default=[])
    accessibility = Text(default="")
    visitor_requirements = Text(default="")
    description = JSON(default={})
    created_at = Timestamptz()


class Activity(Table, tablename="activity"):
    id = Serial(primary_key=True)
    kind = Varchar(length=20, choices=ActivityKind, index=True)
    status = Varchar(length=20, choices=ActivityStatus, default=ActivityStatus.published.value, index=True)
    title = JSON(default={})
    description = JSON(default={})
    timezone = Varchar(length=64)
    start_local = Varchar(length=16)  # "2026-10-01T10:00", wall-clock time in ``timezone``
    duration_minutes = Integer()
    rrule = Text(null=True, default=None)
    exdates = JSON(default=[])  # local dates "YYYY-MM-DD" on which no session takes place
    rdates = JSON(default=[])  # extra local starts "YYYY-MM-DDTHH:MM"
    capacity = Integer(null=True, default=None)  # None: unlimited
    waitlist = Boolean(default=True)
    languages = JSON(default=[])
    venue = ForeignKey(references=Venue, null=True, on_delete=OnDelete.set_null)
    employer = ForeignKey(references=Employer, null=True, on_delete=OnDelete.restrict)
    continues: ForeignKey = ForeignKey(references="self", null=True, on_delete=OnDelete.set_null)
    signup_cutoff_minutes = Integer(default=0)  # sign-up closes this long before a session starts
    sessions_until = Timestamptz(null=True, default=None)  # sessions exist as rows up to here
    series_end = Timestamptz(null=True, default=None)  # last occurrence (None: open-ended)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ActivityLanguage(Table, tablename="activity_language"):
    """One row per language an activity is held in, so lists can filter by language."""

    id = Serial(primary_key=True)
    activity = ForeignKey(references=Activity, on_delete=OnDelete.cascade)
    language = Varchar(length=12, index=True)


class ActivityFacilitator(Table, tablename="activity_facilitator"):
    id = Serial(primary_key=True)
    # indexed: every check-in scan asks whether the activity has facilitators at all (``scheduling.access``)
    activity = ForeignKey(references=Activity, on_delete=OnDelete.cascade, index=True)
    user_id = Integer(index=True)


class Session(Table, tablename="session"):
    id = Serial(primary_key=True)
    activity = ForeignKey(references=Activity, on_delete=OnDelete.cascade, index=True)
    occurrence = Timestamptz()  # the rule's original instant (the ICS RECURRENCE-ID)
    starts_at = Timestamptz(index=True, index_method=IndexMethod.btree)
    ends_at = Timestamptz()
    status = Varchar(length=20, choices=SessionStatus, default=SessionStatus.scheduled.value)
    cancel_reason = Varchar(length=200, default="")
    capacity = Integer(null=True, default=None)  # overrides the activity's when set
    confirmed_count = Integer(default=0)
    waitlisted_count = Integer(default=0)
    updated_at = Timestamptz()


class ClosureDay(Table, tablename="closure_day"):
    """A day (holiday, team day) on which no session takes place anywhere."""

    id = Serial(primary_key=True)
    day = Date(unique=True)
    name = Varchar(length=200, default="")
    created_at = Timestamptz()


class Participant(Table, tablename="participant"):
    """A person who signs up, without an account. Contact details are kept minimal."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    phone = Varchar(length=20, null=True, default=None, index=True)  # E.164
    email = Varchar(length=254, null=True, default=None, index=True)  # lower-case
    language = Varchar(length=12, default="de")
    consent_version = Varchar(length=40, default="")
    consent_at = Timestamptz(null=True, default=None)
    merged_into = Integer(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Enrolment(Table, tablename="enrolment"):
    """A person signed up for a whole series: they get a registration for every future session."""

    id = Serial(primary_key=True)
    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, index=True)
    activity = ForeignKey(references=Activity, on_delete=OnDelete.cascade, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz()


class Registration(Table, tablename="registration"):
    id = Serial(primary_key=True)
    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, index=True)
    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True)
    enrolment = ForeignKey(references=Enrolment, null=True, on_delete=OnDelete.set_null)
    # No index on status: four values, and with one the planner combined it with the session
    # index and read every registration's entry on each sign-up (bench/README.md). The token's
    # unique constraint is its index.
    status = Varchar(length=20, choices=RegistrationStatus)
    token = Varchar(length=64, unique=True, secret=True)
    queued_at = Timestamptz()  # arrival order on the waitlist
    source = Varchar(length=20, default="web")  # web, api, staff, walk_in, series
    consent_version = Varchar(length=40, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RegistrationChange(Table, tablename="registration_change"):
    """History of every state change of a registration: who, when, from, to."""

    id = Serial(primary_key=True)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz()
    actor = Varchar(length=60)  # "participant", "staff:12", "system"
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20)
    note = Varchar(length=300, default="")


class VisitSlot(Table, tablename="visit_slot"):
    """What a company-visit activity carries beyond any activity: the host's notes, the
    coordinator's decision and the host's feedback afterwards. One row per such activity."""

    id = Serial(primary_key=True)
    activity = ForeignKey(references=Activity, on_delete=OnDelete.cascade, unique=True, null=False)
    notes = Text(default="")  # what visitors will see and do, as the host wrote it
    meeting_point = Varchar(length=300, default="")
    proposed_by = Integer(null=True, default=None)  # user id of the host or coordinator
    decided_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decline_reason = Varchar(length=500, default="")
    feedback = Text(default="")
    feedback_by = Integer(null=True, default=None)
    feedback_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class VisitInterest(Table, tablename="visit_interest"):
    """A participant's "I would like an internship or job here" after a company visit."""

    id = Serial(primary_key=True)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, unique=True, null=False)
    interested = Boolean(default=True, index=True)
    updated_at = Timestamptz()
