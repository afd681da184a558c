"""Registrations: signing up without an account, capacity, waitlists that move by themselves.

Every seat decision happens inside one write transaction with the session row locked
(:func:`scheduling.locking.lock_session`), and the session's ``confirmed_count`` and
``waitlisted_count`` change in the same transaction as the registration, so capacity
is never exceeded however many requests arrive at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.database import engine, fetch, write_transaction
from scheduling.contact import clean_name, normalise_email, normalise_phone
from scheduling.errors import InvalidActivity, RegistrationNotFound, SessionFull, SessionNotFound, SignupClosed
from scheduling.events import RegistrationEvent, RegistrationEventKind, publish
from scheduling.kinds import ActivityStatus, RegistrationStatus, SessionStatus
from scheduling.languages import is_language_code
from scheduling.locking import lock_session
from scheduling.services._common import as_utc, utcnow
from scheduling.tables import Enrolment, Participant, Registration, RegistrationChange, Session

CONSENT_VERSION = "2026-11-v1"
STAFF_CONSENT = "recorded-by-staff"
ACTIVE = (RegistrationStatus.confirmed.value, RegistrationStatus.waitlisted.value)


def new_token() -> str:
    """A personal token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a person (or staff on their behalf) gives to sign up."""

    name: str
    language: str
    phone: str | None = None
    email: str | None = None
    consent: bool = False
    series: bool = False
    source: str = "web"  # web, api, staff, walk_in


@dataclass(frozen=True, slots=True)
class SignUpResult:
    registration_id: int
    participant_id: int
    status: RegistrationStatus
    waitlist_position: int | None
    token: str | None  # None when the person was already registered (never hand out someone's token)
    created: bool
    series_registrations: int = 0


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    language: str
    phone: str | None
    email: str | None


def validate_contact(name: str, language: str, phone: str | None, email: str | None, *, need_contact: bool) -> Contact:
    contact = Contact(
        name=clean_name(name),
        language=language.strip().lower(),
        phone=normalise_phone(phone),
        email=normalise_email(email),
    )
    if not is_language_code(contact.language):
        raise InvalidActivity("language", f"{language!r} is not a language code; use e.g. de, ar, fa, uk")
    if need_contact and contact.phone is None and contact.email is None:
        raise InvalidActivity("phone", "give a phone number or an e-mail address, so we can tell you about changes")
    return contact


# --- history and counters ---------------------------------------------------------------


# The statements of the sign-up path are written out by hand: they run for every sign-up, and
# building them with the query builder cost as much CPU as the database spent running them
# (see bench/README.md). They are plain SQL that PostgreSQL and SQLite both accept.


async def _record(registration_id: int, actor: str, before: str, after: str, now: datetime, note: str = "") -> None:
    await fetch(
        "INSERT INTO registration_change (registration, at, actor, from_status, to_status, note)"
        " VALUES ({}, {}, {}, {}, {}, {})",
        registration_id,
        now,
        actor[:60],
        before,
        after,
        note[:300],
    )


async def _adjust_counts(session_id: int, confirmed: int = 0, waitlisted: int = 0) -> None:
    if confirmed or waitlisted:
        await fetch(
            'UPDATE "session" SET confirmed_count = confirmed_count + {}, waitlisted_count = waitlisted_count + {}'
            " WHERE id = {}",
            confirmed,
            waitlisted,
            session_id,
        )


def _capacity(session: dict[str, Any]) -> int | None:
    return session["capacity"] if session["capacity"] is not None else session["activity_capacity"]


def _has_seat(session: dict[str, Any]) -> bool:
    capacity = _capacity(session)
    return capacity is None or session["confirmed_count"] < capacity


def _check_open(session: dict[str, Any] | None, session_id: int, now: datetime, *, staff: bool) -> dict[str, Any]:
    if session is None or session["activity_status"] != ActivityStatus.published.value:
        raise SessionNotFound(f"There is no session with id {session_id}.")
    if session["status"] == SessionStatus.cancelled.value:
        raise SignupClosed("This session is cancelled; sign-up is closed.")
    if as_utc(session["ends_at"]) <= now:
        raise SignupClosed("This session is over; sign-up is closed.")
    cutoff = timedelta(minutes=session["cutoff"] or 0)
    if not staff and cutoff and as_utc(session["starts_at"]) - cutoff <= now:
        raise SignupClosed("Sign-up for this session has closed; please ask the team on site.")
    return session


_WAITLIST_POSITION = (
    "SELECT r.status, (SELECT count(*) FROM registration o WHERE o.session = r.session AND o.status = {}"
    " AND (o.queued_at < r.queued_at OR (o.queued_at = r.queued_at AND o.id <= r.id))) AS position"
    " FROM registration r WHERE r.id = {}"
)


async def waitlist_position(registration_id: int) -> int | None:
    """1 for the first in line; ``None`` unless the registration is on the waiting list (one query)."""
    rows = await fetch(_WAITLIST_POSITION, RegistrationStatus.waitlisted.value, registration_id)
    if not rows or rows[0]["status"] != RegistrationStatus.waitlisted.value:
        return None
    return int(rows[0]["position"])


# --- signing up -----------------------------------------------------------------------


async def _existing_for(session_id: int, contact: Contact) -> dict[str, Any] | None:
    """A live registration on this session by someone with the same phone or e-mail.

    People are found through the phone and e-mail indexes first (as in ``_SIGN_UP_POSTGRES``):
    written as a join, PostgreSQL with stale statistics read every participant once per
    registration of the session (bench/README.md).
    """
    lookups: list[str] = []
    values: list[Any] = [session_id, *ACTIVE]
    if contact.phone:
        lookups.append("SELECT p.id FROM participant p WHERE p.phone = {}")
        values.append(contact.phone)
    if contact.email:
        lookups.append("SELECT p.id FROM participant p WHERE p.email = {}")
        values.append(contact.email)
    if not lookups:
        return None
    rows = await fetch(
        "SELECT r.id, r.participant, r.status FROM registration r"
        f" WHERE r.session = {{}} AND r.status IN ({{}}, {{}}) AND r.participant IN ({' UNION ALL '.join(lookups)})"
        " LIMIT 1",
        *values,
    )
    return dict(rows[0]) if rows else None


async def _new_participant(contact: Contact, consent_version: str, now: datetime) -> int:
    rows = await fetch(
        "INSERT INTO participant (name, phone, email, language, consent_version, consent_at, merged_into,"
        " created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, NULL, {}, {}) RETURNING id",
        contact.name,
        contact.phone,
        contact.email,
        contact.language,
        consent_version,
        now,
        now,
        now,
    )
    return int(rows[0]["id"])


def _seat_status(session: dict[str, Any]) -> RegistrationStatus:
    """The seat decision for a locked session: a place if one is free, else its waiting list."""
    if _has_seat(session):
        return RegistrationStatus.confirmed
    if session["waitlist"]:
        return RegistrationStatus.waitlisted
    raise SessionFull("This session is full and has no waiting list.")


def _count_seat(session: dict[str, Any], status: RegistrationStatus) -> tuple[int, int]:
    """Add a new registration to the locked row's counters; the ``(confirmed, waitlisted)`` change."""
    if status is RegistrationStatus.confirmed:
        session["confirmed_count"] += 1
        return 1, 0
    session["waitlisted_count"] += 1
    return 0, 1


async def _announce_seat(
    session: dict[str, Any], registration_id: int, participant_id: int, status: RegistrationStatus, actor: str
) -> None:
    kind = (
        RegistrationEventKind.confirmed if status is RegistrationStatus.confirmed else RegistrationEventKind.waitlisted
    )
    await publish(
        RegistrationEvent(
            kind, registration_id, session["id"], participant_id, actor, starts_at=as_utc(session["starts_at"])
        )
    )


async def _seat(
    session: dict[str, Any],
    participant_id: int,
    *,
    source: str,
    consent_version: str,
    actor: str,
    now: datetime,
    enrolment_id: int | None = None,
) -> tuple[int, RegistrationStatus, str]:
    """Give a locked session's seat (or a waitlist place) to a participant."""
    status = _seat_status(session)
    token = new_token()
    rows = await fetch(
        "INSERT INTO registration (participant, session, enrolment, status, token, queued_at, source,"
        " consent_version, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
        participant_id,
        session["id"],
        enrolment_id,
        status.value,
        token,
        utcnow(),  # taken under the session lock: the waitlist's true arrival order
        source,
        consent_version,
        now,
        now,
    )
    registration_id = int(rows[0]["id"])
    await _adjust_counts(session["id"], *_count_seat(session, status))
    await _record(registration_id, actor, "", status.value, now, note=source)
    await _announce_seat(session, registration_id, participant_id, status, actor)
    return registration_id, status, token


# The sign-up of a new person on PostgreSQL in one statement: the same steps as
# ``_existing_for`` + ``_new_participant`` + ``_seat`` (without the decision, which is taken
# in Python from the locked row and passed in as $8), chained by data-modifying CTEs so that
# nothing is written when the person is already registered. It runs after the session row
# is locked, so its snapshot sees every sign-up committed before ours (read committed).
# $1 session, $2 phone, $3 e-mail, $4 name, $5 language, $6 consent version, $7 now,
# $8 status, $9 token, $10 queued_at, $11 source, $12 actor, $13/$14 counter changes.
_SIGN_UP_POSTGRES = """
WITH existing AS (
    SELECT r.id, r.participant, r.status FROM registration r
    WHERE r.session = $1 AND r.status IN ('confirmed', 'waitlisted') AND r.participant IN (
        SELECT p.id FROM participant p WHERE p.phone = $2
        UNION ALL
        SELECT p.id FROM participant p WHERE p.email = $3
    )
    LIMIT 1
), person AS (
    INSERT INTO participant (name, phone, email, language, consent_version, consent_at, merged_into,
                             created_at, updated_at)
    SELECT $4, $2, $3, $5, $6, $7, NULL, $7, $7 WHERE NOT EXISTS (SELECT FROM existing)
    RETURNING id
), seat AS (
    INSERT INTO registration (participant, session, enrolment, status, token, queued_at, source,
                              consent_version, created_at, updated_at)
    SELECT person.id, $1, NULL, $8, $9, $10, $11, $6, $7, $7 FROM person
    RETURNING id, participant, status
), counted AS (
    UPDATE "session" SET confirmed_count = confirmed_count + $13, waitlisted_count = waitlisted_count + $14
    WHERE id = $1 AND EXISTS (SELECT FROM seat)
), recorded AS (
    INSERT INTO registration_change (registration, at, actor, from_status, to_status, note)
    SELECT seat.id, $7, $12, '', seat.status, $11 FROM seat
)
SELECT id, participant, status, FALSE AS created FROM existing
UNION ALL
SELECT id, participant, status, TRUE AS created FROM seat
"""


async def _seat_new_person_postgres(
    session: dict[str, Any], contact: Contact, *, source: str, consent_version: str, actor: str, now: datetime
) -> tuple[dict[str, Any], str | None]:
    """The row of the existing registration (``created`` false) or of the new one and its token.

    Call only when ``_seat_status(session)`` has a place to give (a full session without a
    waiting list answers the already-registered person first, through the step-by-step path).
    """
    status = _seat_status(session)
    token = new_token()
    confirmed, waitlisted = (1, 0) if status is RegistrationStatus.confirmed else (0, 1)
    rows = await fetch(
        _SIGN_UP_POSTGRES,
        session["id"],
        contact.phone,
        contact.email,
        contact.name,
        contact.language,
        consent_version,
        now,
        status.value,
        token,
        utcnow(),  # taken under the session lock: the waitlist's true arrival order
        source,
        actor[:60],
        confirmed,
        waitlisted,
    )
    row = dict(rows[0])
    if not row["created"]:
        return row, None
    _count_seat(session, status)
    await _announce_seat(session, row["id"], row["participant"], status, actor)
    return row, token


def _on_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def sign_up(
    session_id: int,
    data: SignUp,
    *,
    actor: str = "participant",
    participant_id: int | None = None,
    now: datetime | None = None,
) -> SignUpResult:
    """Register a person for a session (and, with ``series``, every later session of its activity).

    The same phone or e-mail on the same session gets the existing registration back
    (without its token: whoever knows a phone number must not get that person's link).
    """
    now = now or utcnow()
    staff = data.source in ("staff", "walk_in")
    contact = validate_contact(data.name, data.language, data.phone, data.email, need_contact=not staff)
    if not staff and not data.consent:
        raise InvalidActivity("consent", "please agree to how we use your details, or we cannot sign you up")
    consent_version = STAFF_CONSENT if staff and not data.consent else CONSENT_VERSION
    async with write_transaction():
        session = _check_open(await lock_session(session_id), session_id, now, staff=staff)
        if (
            _on_postgres()
            and participant_id is None
            and not data.series
            and (_has_seat(session) or session["waitlist"])
        ):
            # The common case in one round trip (the steps below, folded into one statement).
            row, token = await _seat_new_person_postgres(
                session, contact, source=data.source, consent_version=consent_version, actor=actor, now=now
            )
            if token is None:
                return await _already_registered(row)
            status = RegistrationStatus(row["status"])
            return SignUpResult(
                registration_id=row["id"],
                participant_id=row["participant"],
                status=status,
                # The newest arrival is last in the queue, and the locked row's counter says how long it is.
                waitlist_position=session["waitlisted_count"] if status is RegistrationStatus.waitlisted else None,
                token=token,
                created=True,
            )
        existing = await _existing_for(session_id, contact)
        if existing is not None:
            return await _already_registered(existing)
        if participant_id is None:
            participant_id = await _new_participant(contact, consent_version, now)
        enrolment_id = None
        if data.series:
            rows = await Enrolment.insert(
                Enrolment(participant=participant_id, activity=session["activity"], created_at=now)
            ).returning(Enrolment.id)
            enrolment_id = int(rows[0]["id"])
        registration_id, status, token = await _seat(
            session,
            participant_id,
            source=data.source,
            consent_version=consent_version,
            actor=actor,
            now=now,
            enrolment_id=enrolment_id,
        )
        # The newest arrival is last in the queue, and the locked row's counter (changed only
        # under this lock, with every status change) says how long the queue is: no count(*).
        position = session["waitlisted_count"] if status is RegistrationStatus.waitlisted else None
        more = 0
        if data.series:
            more = await _register_later_sessions(
                session["activity"], as_utc(session["starts_at"]), participant_id, enrolment_id, consent_version, now
            )
    return SignUpResult(
        registration_id=registration_id,
        participant_id=participant_id,
        status=status,
        waitlist_position=position,
        token=token,
        created=True,
        series_registrations=more,
    )


async def _already_registered(existing: dict[str, Any]) -> SignUpResult:
    status = RegistrationStatus(existing["status"])
    return SignUpResult(
        registration_id=existing["id"],
        participant_id=existing["participant"],
        status=status,
        waitlist_position=await waitlist_position(existing["id"]) if status is RegistrationStatus.waitlisted else None,
        token=None,
        created=False,
    )


async def _register_later_sessions(
    activity_id: int,
    after: datetime,
    participant_id: int,
    enrolment_id: int | None,
    consent_version: str,
    now: datetime,
) -> int:
    """Seat an enrolled person in the activity's later sessions (in id order, so locks never cross)."""
    later = (
        await Session.select(Session.id)
        .where(
            Session.activity == activity_id, Session.starts_at > after, Session.status == SessionStatus.scheduled.value
        )
        .order_by(Session.id)
    )
    count = 0
    for row in later:
        if await Registration.exists().where(
            Registration.session == row["id"],
            Registration.participant == participant_id,
            Registration.status.is_in(list(ACTIVE)),
        ):
            continue
        session = await lock_session(row["id"])
        if session is None or (not _has_seat(session) and not session["waitlist"]):
            continue
        await _seat(
            session,
            participant_id,
            source="series",
            consent_version=consent_version,
            actor="system",
            now=now,
            enrolment_id=enrolment_id,
        )
        count += 1
    return count


async def seat_enrolled_people(activity_id: int, now: datetime | None = None) -> int:
    """After new sessions were created: register everyone enrolled in the series for them."""
    now = now or utcnow()
    enrolments = await Enrolment.select().where(Enrolment.activity == activity_id, Enrolment.active.eq(True))
    total = 0
    for enrolment in enrolments:
        async with write_transaction():
            total += await _register_later_sessions(
                activity_id, now, enrolment["participant"], enrolment["id"], CONSENT_VERSION, now
            )
    return total


# --- cancelling and the waitlist --------------------------------------------------------


async def promote_from_waitlist(session: dict[str, Any], *, now: datetime) -> list[int]:
    """Fill free seats of a locked session from its waitlist, first come first served."""
    promoted: list[int] = []
    while _has_seat(session) and session["waitlisted_count"] > 0:
        first = (
            await Registration.select(Registration.id, Registration.participant)
            .where(Registration.session == session["id"], Registration.status == RegistrationStatus.waitlisted.value)
            .order_by(Registration.queued_at)
            .order_by(Registration.id)
            .first()
        )
        if first is None:
            break
        await Registration.update(
            {Registration.status: RegistrationStatus.confirmed.value, Registration.updated_at: now}
        ).where(Registration.id == first["id"])
        await _adjust_counts(session["id"], confirmed=1, waitlisted=-1)
        session["confirmed_count"] += 1
        session["waitlisted_count"] -= 1
        await _record(
            first["id"],
            "system",
            RegistrationStatus.waitlisted.value,
            RegistrationStatus.confirmed.value,
            now,
            note="promoted from the waiting list",
        )
        await publish(
            RegistrationEvent(
                RegistrationEventKind.promoted, first["id"], session["id"], first["participant"], "system"
            )
        )
        promoted.append(first["id"])
    return promoted


async def promote_session(session_id: int, now: datetime | None = None) -> list[int]:
    """Promote whoever fits after a capacity change. Runs in its own (or the caller's) transaction."""
    now = now or utcnow()
    async with write_transaction():
        session = await lock_session(session_id)
        if session is None or session["status"] != SessionStatus.scheduled.value:
            return []
        return await promote_from_waitlist(session, now=now)


async def give_place(registration_id: int, *, actor: str, now: datetime | None = None) -> None:
    """Staff give one person on the waiting list a place now, out of turn.

    A full session gets one more place for them (its own capacity becomes confirmed + 1), so
    capacity is never exceeded; the person is told like anyone promoted from the waiting list.
    """
    now = now or utcnow()
    async with write_transaction():
        row = (
            await Registration.select(Registration.id, Registration.session, Registration.participant)
            .where(Registration.id == registration_id, Registration.status == RegistrationStatus.waitlisted.value)
            .first()
        )
        if row is None:
            raise RegistrationNotFound(f"There is no registration with id {registration_id} on a waiting list.")
        session = await lock_session(row["session"])
        if session is None or session["status"] != SessionStatus.scheduled.value or as_utc(session["ends_at"]) <= now:
            raise SignupClosed("This session is over or cancelled; nobody can be given a place.")
        if not _has_seat(session):
            await Session.update({Session.capacity: session["confirmed_count"] + 1, Session.updated_at: now}).where(
                Session.id == session["id"]
            )
        await Registration.update(
            {Registration.status: RegistrationStatus.confirmed.value, Registration.updated_at: now}
        ).where(Registration.id == registration_id)
        await _adjust_counts(session["id"], confirmed=1, waitlisted=-1)
        await _record(
            registration_id,
            actor,
            RegistrationStatus.waitlisted.value,
            RegistrationStatus.confirmed.value,
            now,
            note="given a place by staff",
        )
        await publish(
            RegistrationEvent(RegistrationEventKind.promoted, registration_id, session["id"], row["participant"], actor)
        )


async def _cancel_row(row: dict[str, Any], *, actor: str, now: datetime, note: str = "") -> None:
    session = await lock_session(row["session"])
    await Registration.update(
        {Registration.status: RegistrationStatus.cancelled.value, Registration.updated_at: now}
    ).where(Registration.id == row["id"])
    if row["status"] == RegistrationStatus.confirmed.value:
        await _adjust_counts(row["session"], confirmed=-1)
        if session is not None:
            session["confirmed_count"] -= 1
    else:
        await _adjust_counts(row["session"], waitlisted=-1)
        if session is not None:
            session["waitlisted_count"] -= 1
    await _record(row["id"], actor, row["status"], RegistrationStatus.cancelled.value, now, note)
    await publish(
        RegistrationEvent(RegistrationEventKind.cancelled, row["id"], row["session"], row["participant"], actor)
    )
    if session is not None and session["status"] == SessionStatus.scheduled.value and as_utc(session["ends_at"]) > now:
        await promote_from_waitlist(session, now=now)


async def cancel_by_token(token: str, *, now: datetime | None = None) -> None:
    """The person cancels their own registration; the first on the waitlist moves up."""
    now = now or utcnow()
    async with write_transaction():
        row = await _live_by_token(token)
        await _cancel_row(row, actor="participant", now=now)


async def cancel_by_id(registration_id: int, *, actor: str, now: datetime | None = None) -> None:
    """Staff cancel on a person's behalf."""
    now = now or utcnow()
    async with write_transaction():
        row = (
            await Registration.select(
                Registration.id, Registration.session, Registration.status, Registration.participant
            )
            .where(Registration.id == registration_id, Registration.status.is_in(list(ACTIVE)))
            .first()
        )
        if row is None:
            raise RegistrationNotFound(f"There is no active registration with id {registration_id}.")
        await _cancel_row(row, actor=actor, now=now, note="cancelled by staff")


async def _live_by_token(token: str) -> dict[str, Any]:
    row = (
        await Registration.select(Registration.id, Registration.session, Registration.status, Registration.participant)
        .where(Registration.token == token)
        .first()
    )
    if row is None or len(token) > 64:
        raise RegistrationNotFound("This link is not valid.")
    if row["status"] == RegistrationStatus.cancelled.value:
        raise SignupClosed("This registration is already cancelled.")
    return row


async def move_registration(
    registration_id: int, to_session_id: int, *, actor: str, now: datetime | None = None
) -> SignUpResult:
    """Staff move a person to another session: a place there (or the waitlist), then the old one freed."""
    now = now or utcnow()
    async with write_transaction():
        row = (
            await Registration.select(
                Registration.id,
                Registration.session,
                Registration.status,
                Registration.participant,
                Registration.consent_version,
            )
            .where(Registration.id == registration_id, Registration.status.is_in(list(ACTIVE)))
            .first()
        )
        if row is None:
            raise RegistrationNotFound(f"There is no active registration with id {registration_id}.")
        if row["session"] == to_session_id:
            raise InvalidActivity("session_id", "the person is already registered for that session")
        target = _check_open(await lock_session(to_session_id), to_session_id, now, staff=True)
        if await Registration.exists().where(
            Registration.session == to_session_id,
            Registration.participant == row["participant"],
            Registration.status.is_in(list(ACTIVE)),
        ):
            raise InvalidActivity("session_id", "the person is already registered for that session")
        new_id, status, token = await _seat(
            target, row["participant"], source="staff", consent_version=row["consent_version"], actor=actor, now=now
        )
        await _cancel_row(row, actor=actor, now=now, note=f"moved to session {to_session_id}")
        position = await waitlist_position(new_id)
    return SignUpResult(new_id, row["participant"], status, position, token, True)


# --- reading and changing one's own details -------------------------------------------


async def registration_by_token(token: str) -> dict[str, Any]:
    """The registration a personal token stands for, with its participant; 404 otherwise."""
    if not token or len(token) > 64:
        raise RegistrationNotFound("This link is not valid.")
    row = (
        await Registration.select(
            Registration.id,
            Registration.session,
            Registration.status,
            Registration.token,
            Registration.created_at,
            Registration.participant,
            Registration.participant.name.as_alias("name"),
            Registration.participant.phone.as_alias("phone"),
            Registration.participant.email.as_alias("email"),
            Registration.participant.language.as_alias("language"),
        )
        .where(Registration.token == token)
        .first()
    )
    if row is None:
        raise RegistrationNotFound("This link is not valid.")
    row["waitlist_position"] = await waitlist_position(row["id"])
    return row


async def registrations_of_participant(participant_id: int) -> list[dict[str, Any]]:
    """All registrations of a person, soonest session first (for their personal page)."""
    activity: Any = Registration.session.activity  # a join two tables away
    rows = (
        await Registration.select(
            Registration.id,
            Registration.session,
            Registration.status,
            Registration.token,
            Registration.session.starts_at.as_alias("starts_at"),
            Registration.session.ends_at.as_alias("ends_at"),
            Registration.session.status.as_alias("session_status"),
            activity.id.as_alias("activity_id"),
            activity.title.as_alias("title"),
            activity.kind.as_alias("kind"),
            activity.timezone.as_alias("timezone"),
            activity.languages.as_alias("languages"),
        )
        .where(Registration.participant == participant_id)
        .order_by(Registration.session.starts_at)
        .output(load_json=True)
    )
    for row in rows:
        row["waitlist_position"] = await waitlist_position(row["id"]) if row["status"] == "waitlisted" else None
    return rows


async def update_contact(
    token: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
    clear_phone: bool = False,
    clear_email: bool = False,
) -> dict[str, Any]:
    """A person changes their name, phone, e-mail or language; all their registrations keep them."""
    row = await registration_by_token(token)
    current = Contact(row["name"], row["language"], row["phone"], row["email"])
    updated = validate_contact(
        name if name is not None else current.name,
        language if language is not None else current.language,
        None if clear_phone else (phone if phone is not None else current.phone),
        None if clear_email else (email if email is not None else current.email),
        need_contact=True,
    )
    await Participant.update(
        {
            Participant.name: updated.name,
            Participant.phone: updated.phone,
            Participant.email: updated.email,
            Participant.language: updated.language,
            Participant.updated_at: utcnow(),
        }
    ).where(Participant.id == row["participant"])
    return await registration_by_token(token)


async def roster(session_id: int) -> list[dict[str, Any]]:
    """Everyone registered for a session (cancelled last), for staff."""
    rows = (
        await Registration.select(
            Registration.id,
            Registration.status,
            Registration.source,
            Registration.created_at,
            Registration.queued_at,
            Registration.participant,
            Registration.participant.name.as_alias("name"),
            Registration.participant.phone.as_alias("phone"),
            Registration.participant.email.as_alias("email"),
            Registration.participant.language.as_alias("language"),
        )
        .where(Registration.session == session_id)
        .order_by(Registration.queued_at)
        .order_by(Registration.id)
    )
    order = {"confirmed": 0, "waitlisted": 1, "cancelled": 2}
    position = 0
    for row in rows:
        if row["status"] == RegistrationStatus.waitlisted.value:
            position += 1
            row["waitlist_position"] = position
        else:
            row["waitlist_position"] = None
    return sorted(rows, key=lambda r: order[r["status"]])


async def is_active_in(session_id: int, registration_id: int) -> bool:
    """Whether the registration belongs to this session and is not cancelled (one query, for staff pages)."""
    if not 1 <= registration_id <= 2**31 - 1:  # ids are 32-bit integers in the database
        return False
    return await Registration.exists().where(
        Registration.id == registration_id,
        Registration.session == session_id,
        Registration.status != RegistrationStatus.cancelled.value,
    )


async def history(registration_id: int) -> list[dict[str, Any]]:
    return (
        await RegistrationChange.select()
        .where(RegistrationChange.registration == registration_id)
        .order_by(RegistrationChange.id)
    )


async def merge_participants(source_id: int, into_id: int, *, actor: str, now: datetime | None = None) -> int:
    """Staff merge two records of the same person; returns how many registrations moved.

    Where both were registered for the same session, the duplicate is cancelled (its
    seat goes to the waitlist). Missing contact details are taken over.
    """
    now = now or utcnow()
    if source_id == into_id:
        raise InvalidActivity("into", "a person cannot be merged with themselves")
    async with write_transaction():
        source = (
            await Participant.select().where(Participant.id == source_id, Participant.merged_into.is_null()).first()
        )
        target = await Participant.select().where(Participant.id == into_id, Participant.merged_into.is_null()).first()
        if source is None or target is None:
            raise RegistrationNotFound("Both people must exist and not be merged already.")
        target_sessions = {
            r["session"]
            for r in await Registration.select(Registration.session).where(
                Registration.participant == into_id, Registration.status.is_in(list(ACTIVE))
            )
        }
        moved = 0
        for row in await Registration.select(
            Registration.id, Registration.session, Registration.status, Registration.participant
        ).where(Registration.participant == source_id):
            if row["session"] in target_sessions and row["status"] in ACTIVE:
                await _cancel_row(row, actor=actor, now=now, note=f"duplicate of person {into_id}")
            await Registration.update({Registration.participant: into_id, Registration.updated_at: now}).where(
                Registration.id == row["id"]
            )
            moved += 1
        await Enrolment.update({Enrolment.participant: into_id}).where(Enrolment.participant == source_id)
        await Participant.update(
            {
                Participant.phone: target["phone"] or source["phone"],
                Participant.email: target["email"] or source["email"],
                Participant.updated_at: now,
            }
        ).where(Participant.id == into_id)
        await Participant.update(
            {
                Participant.merged_into: into_id,
                Participant.phone: None,
                Participant.email: None,
                Participant.updated_at: now,
            }
        ).where(Participant.id == source_id)
    return moved
