"""Who a message goes to and what it says, gathered at sending time for a whole batch of rows.

One query loads every participant a batch of outbox rows is for (person, session,
activity, venue), instead of one four-join query per message; the query object is
built once per process. Hosts (staff accounts told about their visit slots) are few and
loaded one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from notifications.kinds import MessageKind
from notifications.messages import MessageData
from scheduling.languages import pick_text
from scheduling.services._common import as_utc
from scheduling.tables import Registration

if TYPE_CHECKING:
    from notifications.digest import DigestData
    from notifications.sending import Channels


@dataclass(frozen=True, slots=True)
class Recipient:
    registration_id: int
    phone: str | None
    email: str | None
    data: MessageData | DigestData
    location: str


@cache
def _participant_columns() -> tuple[Any, ...]:
    """The columns of the participant query; Piccolo's join attributes are costly to build, so once."""
    activity: Any = Registration.session.activity
    return (
        Registration.id,
        Registration.token,
        Registration.participant.name.as_alias("name"),
        Registration.participant.phone.as_alias("phone"),
        Registration.participant.email.as_alias("email"),
        Registration.participant.language.as_alias("language"),
        Registration.session.starts_at.as_alias("starts_at"),
        Registration.session.ends_at.as_alias("ends_at"),
        activity.title.as_alias("title"),
        activity.timezone.as_alias("timezone"),
        activity.languages.as_alias("languages"),
        activity.venue.name.as_alias("venue_name"),
        activity.venue.address.as_alias("venue_address"),
    )


async def load_recipients(rows: Sequence[dict[str, Any]], channels: Channels) -> dict[int, Recipient | None]:
    """Outbox row id → its recipient (``None`` if the registration or host is gone)."""
    from scheduling.services.registrations import waitlist_position

    found: dict[int, Recipient | None] = {row["id"]: None for row in rows}
    registration_ids = sorted({row["registration_id"] for row in rows if row["registration_id"]})
    people: dict[int, dict[str, Any]] = {}
    if registration_ids:
        selected = (
            await Registration.select(*_participant_columns())
            .where(Registration.id.is_in(registration_ids))
            .output(load_json=True)
        )
        people = {person["id"]: person for person in selected}
    for row in rows:
        if row["registration_id"]:
            person = people.get(row["registration_id"])
            if person is not None:
                kind = MessageKind(row["kind"])
                # Only the waiting-list message shows the position; it costs a query of its own.
                position = await waitlist_position(person["id"]) if kind is MessageKind.waitlisted else None
                found[row["id"]] = _participant(person, kind, position, channels)
        elif row.get("staff_user_id") and row["kind"] == MessageKind.host_digest.value:
            found[row["id"]] = await load_digest_recipient(row, channels)
        elif row.get("staff_user_id"):
            found[row["id"]] = await load_host_recipient(row, channels)
    return found


def _participant(person: dict[str, Any], kind: MessageKind, position: int | None, channels: Channels) -> Recipient:
    language = person["language"] or channels.default_language
    place = ", ".join(p for p in (person["venue_name"], person["venue_address"]) if p)
    fallbacks = [channels.default_language, "en", *(person["languages"] or [])]
    data = MessageData(
        kind=kind,
        language=language,
        name=person["name"],
        title=pick_text(person["title"] or {}, language, fallbacks),
        starts_at=as_utc(person["starts_at"]),
        ends_at=as_utc(person["ends_at"]),
        timezone=person["timezone"],
        place=place,
        manage_url=f"{channels.base_url}/r/{person['token']}",
        waitlist_position=position,
    )
    return Recipient(person["id"], person["phone"], person["email"], data, place)


async def load_host_recipient(row: dict[str, Any], channels: Channels) -> Recipient | None:
    """A host (staff account) told about their company-visit slot; e-mail only."""
    from app.auth.tables import StaffUser
    from scheduling.tables import Session, VisitSlot

    host = (
        await StaffUser.select(StaffUser.name, StaffUser.email, StaffUser.language)
        .where(StaffUser.id == row["staff_user_id"])
        .first()
    )
    slot_activity: Any = Session.activity
    session = (
        await Session.select(
            Session.activity,
            Session.starts_at,
            Session.ends_at,
            slot_activity.title.as_alias("title"),
            slot_activity.timezone.as_alias("timezone"),
            slot_activity.venue.name.as_alias("venue_name"),
        )
        .where(Session.id == row["session_id"])
        .output(load_json=True)
        .first()
    )
    if host is None or session is None:
        return None
    slot = await VisitSlot.select(VisitSlot.decline_reason).where(VisitSlot.activity == session["activity"]).first()
    language = host["language"] or channels.default_language  # the host's own, else the project's
    data = MessageData(
        kind=MessageKind(row["kind"]),
        language=language,
        name=host["name"] or host["email"],
        title=pick_text(session["title"] or {}, language, [channels.default_language, "en"]),
        starts_at=as_utc(session["starts_at"]),
        ends_at=as_utc(session["ends_at"]),
        timezone=session["timezone"],
        place=session["venue_name"] or "",
        manage_url=f"{channels.base_url}/host",
        reason=(slot or {}).get("decline_reason") or "",
    )
    return Recipient(registration_id=0, phone=None, email=host["email"], data=data, location=data.place)


async def load_digest_recipient(row: dict[str, Any], channels: Channels) -> Recipient | None:
    """A host's daily digest (see :mod:`notifications.digest`)."""
    from notifications.digest import load_digest

    loaded = await load_digest(row, channels.default_language, channels.base_url)
    if loaded is None:
        return None
    address, digest = loaded
    return Recipient(registration_id=0, phone=None, email=address, data=digest, location="")
