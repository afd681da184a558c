"""Activities: creating a series, reading it, and changing it from a date on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from msgspec import UNSET
from piccolo.query.functions.aggregate import Min

from app.database import write_transaction
from scheduling.errors import ActivityNotFound, InvalidActivity
from scheduling.kinds import KIND_DEFAULTS, ActivityKind, ActivityStatus, SessionStatus
from scheduling.languages import is_language_code
from scheduling.locking import lock_session
from scheduling.recurrence import MAX_OCCURRENCES, Schedule, build_schedule, to_local, to_utc
from scheduling.schemas import ActivityCreate, ActivityOut, ActivityUpdate, VenueIn, VenueOut
from scheduling.services._common import as_utc, rule_text, schedule_of, utcnow
from scheduling.services.employers import employer_exists
from scheduling.services.registrations import promote_from_waitlist, seat_enrolled_people
from scheduling.services.sessions import sync_sessions
from scheduling.tables import Activity, ActivityFacilitator, ActivityLanguage, Enrolment, Session, Venue


def _check_texts(field: str, texts: dict[str, str], *, required: bool) -> dict[str, str]:
    cleaned = {code: text.strip() for code, text in texts.items() if text and text.strip()}
    if required and not cleaned:
        raise InvalidActivity(field, f"give the {field} in at least one language, e.g. {{'de': '…'}}")
    for code in cleaned:
        if not is_language_code(code):
            raise InvalidActivity(field, f"{code!r} is not a language code; use e.g. de, en, ar, fa, uk")
    return cleaned


def _check_languages(languages: list[str]) -> list[str]:
    result: list[str] = []
    for code in languages:
        if not is_language_code(code):
            raise InvalidActivity("languages", f"{code!r} is not a language code; use e.g. de, en, ar, fa, uk")
        if code not in result:
            result.append(code)
    return result


def _check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and capacity < 1:
        raise InvalidActivity("capacity", "must be 1 or more, or null for unlimited")
    if capacity is not None and capacity > 100_000:
        raise InvalidActivity("capacity", "is too large; use null for unlimited")
    return capacity


def _check_finite(schedule: Schedule) -> None:
    if not schedule.is_open_ended and len(schedule.occurrences()) > MAX_OCCURRENCES:
        raise InvalidActivity("rrule", f"the series has more than {MAX_OCCURRENCES} sessions; end it sooner")


async def _venue_id(venue: VenueIn | None, venue_id: int | None, now: datetime) -> int | None:
    if venue is not None:
        rows = await Venue.insert(
            Venue(name=venue.name.strip(), address=venue.address, accessibility=venue.accessibility, created_at=now)
        ).returning(Venue.id)
        return int(rows[0]["id"])
    if venue_id is not None:
        if not await Venue.exists().where(Venue.id == venue_id):
            raise InvalidActivity("venue_id", f"there is no venue with id {venue_id}")
        return venue_id
    return None


async def _set_languages(activity_id: int, languages: list[str]) -> None:
    await ActivityLanguage.delete().where(ActivityLanguage.activity == activity_id)
    await ActivityLanguage.insert(*[ActivityLanguage(activity=activity_id, language=code) for code in languages])


async def _set_facilitators(activity_id: int, user_ids: list[int]) -> None:
    await ActivityFacilitator.delete().where(ActivityFacilitator.activity == activity_id)
    if user_ids:
        await ActivityFacilitator.insert(
            *[ActivityFacilitator(activity=activity_id, user_id=user_id) for user_id in dict.fromkeys(user_ids)]
        )


async def create_activity(
    data: ActivityCreate,
    *,
    default_timezone: str,
    status: ActivityStatus = ActivityStatus.published,
    now: datetime | None = None,
    base_url: str = "",
) -> ActivityOut:
    """Validate and save an activity with its sessions up to the horizon."""
    now = now or utcnow()
    defaults = KIND_DEFAULTS[data.kind]
    title = _check_texts("title", dict(data.title), required=True)
    description = _check_texts("description", dict(data.description), required=False)
    languages = _check_languages(list(data.languages))
    capacity = _check_capacity(defaults.capacity if data.capacity is UNSET else data.capacity)
    waitlist = defaults.waitlist if data.waitlist is UNSET else data.waitlist
    duration = defaults.duration_minutes if data.duration_minutes is UNSET else data.duration_minutes
    if data.rrule and not defaults.recurring:
        raise InvalidActivity("rrule", "a company visit is a single date; create one visit per date")
    if data.kind is ActivityKind.company_visit:
        if data.employer_id is None:
            raise InvalidActivity("employer_id", "a company visit needs the employer that hosts it")
        if not await employer_exists(data.employer_id):
            raise InvalidActivity("employer_id", f"there is no employer with id {data.employer_id}")
    elif data.employer_id is not None:
        raise InvalidActivity("employer_id", "only company visits belong to an employer")
    schedule = build_schedule(
        timezone=data.timezone or default_timezone,
        start=data.start,
        duration_minutes=duration,
        rrule_text=data.rrule,
        exdates=data.exdates,
        rdates=data.rdates,
    )
    _check_finite(schedule)
    async with write_transaction():
        venue_id = await _venue_id(data.venue, data.venue_id, now)
        activity_id = await _insert_activity(
            kind=data.kind,
            status=status,
            title=title,
            description=description,
            schedule=schedule,
            capacity=capacity,
            waitlist=waitlist,
            languages=languages,
            venue_id=venue_id,
            employer_id=data.employer_id,
            continues=None,
            now=now,
        )
        await _set_facilitators(activity_id, list(data.facilitator_ids))
        row = await _load(activity_id)
        await sync_sessions(row, schedule, now=now)
    return await get_activity(activity_id, include_unpublished=True, staff=True, base_url=base_url)


async def _insert_activity(
    *,
    kind: ActivityKind,
    status: ActivityStatus,
    title: dict[str, str],
    description: dict[str, str],
    schedule: Schedule,
    capacity: int | None,
    waitlist: bool,
    languages: list[str],
    venue_id: int | None,
    employer_id: int | None,
    continues: int | None,
    now: datetime,
) -> int:
    rows = await Activity.insert(
        Activity(
            kind=kind.value,
            status=status.value,
            title=title,
            description=description,
            timezone=schedule.zone.key,
            start_local=schedule.start_local.strftime("%Y-%m-%dT%H:%M"),
            duration_minutes=int(schedule.duration.total_seconds() // 60),
            rrule=rule_text(schedule.rule),
            exdates=sorted(d.isoformat() for d in schedule.exdates),
            rdates=[d.strftime("%Y-%m-%dT%H:%M") for d in schedule.rdates],
            capacity=capacity,
            waitlist=waitlist,
            languages=languages,
            venue=venue_id,
            employer=employer_id,
            continues=continues,
            created_at=now,
            updated_at=now,
        )
    ).returning(Activity.id)
    activity_id = int(rows[0]["id"])
    await _set_languages(activity_id, languages)
    return activity_id


async def _load(activity_id: int) -> dict[str, Any]:
    row = await Activity.select().where(Activity.id == activity_id).output(load_json=True).first()
    if row is None:
        raise ActivityNotFound(f"There is no activity with id {activity_id}.")
    return row


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    kind: str | None = None
    language: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    include_unpublished: bool = False
    limit: int = 100
    offset: int = 0


def _venue_out(row: dict[str, Any]) -> VenueOut | None:
    if row.get("venue") is None:
        return None
    return VenueOut(
        id=row["venue"],
        name=row["venue_name"] or "",
        address=row["venue_address"] or "",
        accessibility=row["venue_accessibility"] or "",
    )


def _activity_out(
    row: dict[str, Any], *, next_session: datetime | None, facilitators: list[int] | None, base_url: str
) -> ActivityOut:
    return ActivityOut(
        id=row["id"],
        kind=ActivityKind(row["kind"]),
        status=ActivityStatus(row["status"]),
        title=row["title"] or {},
        description=row["description"] or {},
        timezone=row["timezone"],
        start=row["start_local"],
        duration_minutes=row["duration_minutes"],
        rrule=row["rrule"],
        exdates=row["exdates"] or [],
        rdates=row["rdates"] or [],
        capacity=row["capacity"],
        waitlist=row["waitlist"],
        languages=row["languages"] or [],
        venue=_venue_out(row),
        employer_id=row["employer"],
        continues_id=row["continues"],
        ics_url=f"{base_url}/ics/activities/{row['id']}.ics",
        next_session_at=next_session,
        facilitator_ids=facilitators,
    )


_ACTIVITY_COLUMNS = (
    *Activity.all_columns(),
    Activity.venue.name.as_alias("venue_name"),
    Activity.venue.address.as_alias("venue_address"),
    Activity.venue.accessibility.as_alias("venue_accessibility"),
)


async def _next_sessions(activity_ids: list[int], now: datetime) -> dict[int, datetime]:
    if not activity_ids:
        return {}
    rows = await (
        Session.select(Session.activity, Min(Session.starts_at, alias="next"))
        .where(
            Session.activity.is_in(activity_ids),
            Session.starts_at >= now,
            Session.status == SessionStatus.scheduled.value,
        )
        .group_by(Session.activity)
    )
    return {row["activity"]: as_utc(_parse_instant(row["next"])) for row in rows if row["next"] is not None}


def _parse_instant(value: Any) -> datetime:
    # SQLite hands aggregates back as text.
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def _facilitators(activity_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {activity_id: [] for activity_id in activity_ids}
    if activity_ids:
        rows = await ActivityFacilitator.select(ActivityFacilitator.activity, ActivityFacilitator.user_id).where(
            ActivityFacilitator.activity.is_in(activity_ids)
        )
        for row in rows:
            result[row["activity"]].append(row["user_id"])
    return result


async def get_activity(
    activity_id: int, *, include_unpublished: bool = False, staff: bool = False, base_url: str = ""
) -> ActivityOut:
    row = await Activity.select(*_ACTIVITY_COLUMNS).where(Activity.id == activity_id).output(load_json=True).first()
    if row is None or (not include_unpublished and row["status"] != ActivityStatus.published.value):
        raise ActivityNotFound(f"There is no activity with id {activity_id}.")
    next_session = (await _next_sessions([activity_id], utcnow())).get(activity_id)
    facilitators = (await _facilitators([activity_id]))[activity_id] if staff else None
    return _activity_out(row, next_session=next_session, facilitators=facilitators, base_url=base_url)


async def list_activities(filters: ActivityFilter, *, staff: bool = False, base_url: str = "") -> list[ActivityOut]:
    query = Activity.select(*_ACTIVITY_COLUMNS)
    if not filters.include_unpublished:
        query = query.where(Activity.status == ActivityStatus.published.value)
    if filters.kind:
        query = query.where(Activity.kind == filters.kind)
    if filters.language:
        ids = [
            r["activity"]
            for r in await ActivityLanguage.select(ActivityLanguage.activity).where(
                ActivityLanguage.language == filters.language
            )
        ]
        query = query.where(Activity.id.is_in(ids or [-1]))
    if filters.start is not None or filters.end is not None:
        session_query = Session.select(Session.activity).distinct()
        if filters.start is not None:
            session_query = session_query.where(Session.ends_at >= filters.start)
        if filters.end is not None:
            session_query = session_query.where(Session.starts_at < filters.end)
        ids = [r["activity"] for r in await session_query]
        query = query.where(Activity.id.is_in(ids or [-1]))
    rows = await query.order_by(Activity.id).limit(filters.limit).offset(filters.offset).output(load_json=True)
    activity_ids = [row["id"] for row in rows]
    next_sessions = await _next_sessions(activity_ids, utcnow())
    facilitators = await _facilitators(activity_ids) if staff else {}
    return [
        _activity_out(
            row,
            next_session=next_sessions.get(row["id"]),
            facilitators=facilitators.get(row["id"]) if staff else None,
            base_url=base_url,
        )
        for row in rows
    ]


# --- changing a series ----------------------------------------------------------------

_SCHEDULE_FIELDS = ("timezone", "start", "duration_minutes", "rrule", "exdates", "rdates")


def _cut_rule(rule: str | None, cut_local: datetime, schedule: Schedule) -> str | None:
    """The rule, ended just before ``cut_local`` (COUNT becomes an UNTIL)."""
    if rule is None:
        return None
    parts = [p for p in rule.split(";") if not p.startswith(("COUNT=", "UNTIL="))]
    until = to_utc(cut_local, schedule.zone) - timedelta(seconds=1)
    parts.append("UNTIL=" + until.strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)


async def update_activity(
    activity_id: int, data: ActivityUpdate, *, now: datetime | None = None, base_url: str = ""
) -> ActivityOut:
    """Change an activity. Schedule changes apply from ``from_date`` on (default: today).

    If sessions before that date exist, the series is split: the old activity ends the
    day before and a new one (``continues_id`` pointing back) carries the new schedule,
    so the past stays exactly as it was, in the API and in calendar feeds.
    """
    now = now or utcnow()
    async with write_transaction():
        row = await _load(activity_id)
        old_schedule = schedule_of(row)
        simple: dict[Any, Any] = {}
        if data.title is not UNSET:
            simple[Activity.title] = _check_texts("title", dict(data.title), required=True)
        if data.description is not UNSET:
            simple[Activity.description] = _check_texts("description", dict(data.description), required=False)
        if data.capacity is not UNSET:
            simple[Activity.capacity] = _check_capacity(data.capacity)
        if data.waitlist is not UNSET:
            simple[Activity.waitlist] = data.waitlist
        languages = _check_languages(list(data.languages)) if data.languages is not UNSET else None
        if languages is not None:
            simple[Activity.languages] = languages
        if data.venue is not UNSET:
            simple[Activity.venue] = await _venue_id(data.venue, None, now)
        if simple:
            simple[Activity.updated_at] = now
            await Activity.update(simple).where(Activity.id == activity_id)
            if languages is not None:
                await _set_languages(activity_id, languages)
        if data.facilitator_ids is not UNSET:
            await _set_facilitators(activity_id, list(data.facilitator_ids))

        if data.capacity is not UNSET:
            await _promote_future_sessions(activity_id, now)
        if not any(getattr(data, name) is not UNSET for name in _SCHEDULE_FIELDS):
            result_id = activity_id
        else:
            result_id = await _change_schedule(await _load(activity_id), old_schedule, data, now)
    return await get_activity(result_id, include_unpublished=True, staff=True, base_url=base_url)


async def _change_schedule(row: dict[str, Any], old: Schedule, data: ActivityUpdate, now: datetime) -> int:
    zone_name = row["timezone"] if data.timezone is UNSET else data.timezone
    today_local = to_local(now, old.zone).date()
    from_date: date = data.from_date or today_local
    cut_local = datetime.combine(from_date, time(0, 0))
    cut_instant = to_utc(cut_local, old.zone)
    has_earlier = await Session.exists().where(Session.activity == row["id"], Session.occurrence < cut_instant)

    if data.start is not UNSET:
        start = data.start
    elif has_earlier:
        start = datetime.combine(max(from_date, old.start_local.date()), old.start_local.time()).strftime(
            "%Y-%m-%dT%H:%M"
        )
    else:
        start = row["start_local"]
    rrule_value = row["rrule"] if data.rrule is UNSET else data.rrule
    if data.rrule is UNSET and has_earlier and old.rule is not None and old.rule.count is not None:
        # Keep the series' total length: the new part has the sessions the old one had left.
        done = await Session.count().where(Session.activity == row["id"], Session.occurrence < cut_instant)
        remaining = max(1, old.rule.count - done)
        rrule_value = ";".join(p for p in (rrule_value or "").split(";") if not p.startswith("COUNT="))
        rrule_value += f";COUNT={remaining}"
    new_schedule = build_schedule(
        timezone=zone_name,
        start=start,
        duration_minutes=row["duration_minutes"] if data.duration_minutes is UNSET else data.duration_minutes,
        rrule_text=rrule_value,
        exdates=row["exdates"] if data.exdates is UNSET else data.exdates,
        rdates=row["rdates"] if data.rdates is UNSET else data.rdates,
    )
    _check_finite(new_schedule)
    if has_earlier and new_schedule.start_local.date() < from_date:
        raise InvalidActivity("start", f"the changed series must start on or after {from_date.isoformat()}")
    if row["kind"] == ActivityKind.company_visit.value and new_schedule.rule is not None:
        raise InvalidActivity("rrule", "a company visit is a single date; create one visit per date")

    if not has_earlier:
        await Activity.update(_schedule_columns(new_schedule, now)).where(Activity.id == row["id"])
        await sync_sessions(await _load(row["id"]), new_schedule, now=now)
        return int(row["id"])

    # Split: end the old series before the cut, continue in a new activity.
    if old.rule is None:
        raise InvalidActivity("from_date", "this single session is already over; it cannot be changed")
    await Activity.update({Activity.rrule: _cut_rule(row["rrule"], cut_local, old), Activity.updated_at: now}).where(
        Activity.id == row["id"]
    )
    await sync_sessions(await _load(row["id"]), schedule_of(await _load(row["id"])), now=now, from_instant=cut_instant)
    new_id = await _insert_activity(
        kind=ActivityKind(row["kind"]),
        status=ActivityStatus(row["status"]),
        title=row["title"],
        description=row["description"],
        schedule=new_schedule,
        capacity=row["capacity"],
        waitlist=row["waitlist"],
        languages=row["languages"],
        venue_id=row["venue"],
        employer_id=row["employer"],
        continues=row["id"],
        now=now,
    )
    facilitators = (await _facilitators([row["id"]]))[row["id"]]
    await _set_facilitators(new_id, facilitators)
    await sync_sessions(await _load(new_id), new_schedule, now=now)
    await _carry_enrolments_over(row["id"], new_id, now)
    return new_id


async def _carry_enrolments_over(old_id: int, new_id: int, now: datetime) -> None:
    """People enrolled in the whole series stay enrolled in its continuation, with places in its sessions."""
    enrolled = await Enrolment.select(Enrolment.participant).where(
        Enrolment.activity == old_id, Enrolment.active.eq(True)
    )
    if not enrolled:
        return
    await Enrolment.insert(
        *(Enrolment(participant=row["participant"], activity=new_id, created_at=now) for row in enrolled)
    )
    await seat_enrolled_people(new_id, now)


async def _promote_future_sessions(activity_id: int, now: datetime) -> None:
    """After the series' capacity grew: fill the new seats from each waitlist."""
    rows = (
        await Session.select(Session.id)
        .where(
            Session.activity == activity_id,
            Session.starts_at > now,
            Session.status == SessionStatus.scheduled.value,
            Session.waitlisted_count > 0,
        )
        .order_by(Session.id)
    )
    for row in rows:
        locked = await lock_session(row["id"])
        if locked is not None:
            await promote_from_waitlist(locked, now=now)


def _schedule_columns(schedule: Schedule, now: datetime) -> dict[Any, Any]:
    return {
        Activity.timezone: schedule.zone.key,
        Activity.start_local: schedule.start_local.strftime("%Y-%m-%dT%H:%M"),
        Activity.duration_minutes: int(schedule.duration.total_seconds() // 60),
        Activity.rrule: rule_text(schedule.rule),
        Activity.exdates: sorted(d.isoformat() for d in schedule.exdates),
        Activity.rdates: [d.strftime("%Y-%m-%dT%H:%M") for d in schedule.rdates],
        Activity.updated_at: now,
    }


async def set_activity_status(activity_id: int, status: ActivityStatus) -> None:
    await Activity.update({Activity.status: status.value, Activity.updated_at: utcnow()}).where(
        Activity.id == activity_id
    )
