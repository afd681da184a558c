"""The hosts' daily digest: one e-mail a day to each host about sign-ups for their company visits.

Every morning from ``DIGEST_TIME`` (07:00 in the project's time zone,
``TREFFPUNKT_TIMEZONE``) the worker writes one outbox row per host user of an employer
whose approved, upcoming visit slots got new sign-ups since that host's last digest.
The row's key is ``host_digest:<user id>:<local date>``, so a host gets at most one a
day however often the job runs, and the message goes through the outbox like any other
(claimed, sent once, retried, visible to staff when it fails). Hosts with nothing new
get nothing.

The digest covers the window from the host's previous digest (its row's ``created_at``)
to this one's, so a resend says the same. It lists, per upcoming slot, the headcount and
the people new since the last digest as the host portal shows them: first name and the
initial of the last name, nothing else. It is written in the host's language (the one chosen for
the account, else the project's default, ``TREFFPUNKT_DEFAULT_LANGUAGE``), as are the slot
approved and declined messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.i18n import LANGUAGES, translations
from notifications.kinds import MessageKind
from notifications.messages import RenderedMessage, message_language, when_text
from notifications.outbox import add_message
from notifications.tables import OutboxMessage
from scheduling.kinds import ActivityKind, ActivityStatus, RegistrationStatus, SessionStatus
from scheduling.languages import pick_text
from scheduling.services._common import as_utc, utcnow
from scheduling.services.visits.gate import short_name
from scheduling.tables import Registration, Session

DIGEST_TIME = time(7, 0)


def _(message: str) -> str:
    """Marks a string for extraction; translated when rendered."""
    return message


SUBJECT = _("New sign-ups for your company visits")
LEAD = _("Hello %(name)s, here is what changed since your last summary.")
HEADCOUNT = _("Signed up: %(count)s of %(capacity)s")
HEADCOUNT_OPEN = _("Signed up: %(count)s")
WAITING = _("On the waiting list: %(count)s")
NEW = _("New since the last summary: %(names)s")
NOTHING_NEW = _("No new sign-ups.")
PORTAL = _("The visitor list for the gate and all details: %(url)s")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "messages"
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


@dataclass(frozen=True, slots=True)
class DigestSlot:
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    headcount: int
    capacity: int | None
    waitlisted: int
    new_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestData:
    """What one host's digest says, gathered at sending time."""

    language: str
    name: str
    portal_url: str
    slots: tuple[DigestSlot, ...]
    kind: MessageKind = MessageKind.host_digest


async def digest_slots(employer_id: int, since: datetime | None, until: datetime, language: str) -> list[DigestSlot]:
    """The employer's approved visit slots still ahead at ``until``, with sign-ups new in (since, until]."""
    activity: Any = Session.activity
    sessions = (
        await Session.select(
            Session.id,
            Session.starts_at,
            Session.ends_at,
            Session.capacity,
            Session.confirmed_count,
            Session.waitlisted_count,
            activity.title.as_alias("title"),
            activity.timezone.as_alias("timezone"),
            activity.capacity.as_alias("activity_capacity"),
            activity.languages.as_alias("languages"),
        )
        .where(
            activity.employer == employer_id,
            activity.kind == ActivityKind.company_visit.value,
            activity.status == ActivityStatus.published.value,
            Session.status == SessionStatus.scheduled.value,
            Session.starts_at > until,
        )
        .order_by(Session.starts_at)
        .output(load_json=True)
    )
    if not sessions:
        return []
    new = Registration.select(
        Registration.session, Registration.participant.name.as_alias("name"), Registration.created_at
    ).where(
        Registration.session.is_in([s["id"] for s in sessions]),
        Registration.status == RegistrationStatus.confirmed.value,
        Registration.created_at <= until,
    )
    if since is not None:
        new = new.where(Registration.created_at > since)
    names: dict[int, list[str]] = {}
    for row in await new.order_by(Registration.created_at):
        names.setdefault(row["session"], []).append(short_name(row["name"]))
    return [
        DigestSlot(
            title=pick_text(s["title"] or {}, language, ["en", *(s["languages"] or [])]),
            starts_at=as_utc(s["starts_at"]),
            ends_at=as_utc(s["ends_at"]),
            timezone=s["timezone"],
            headcount=s["confirmed_count"],
            capacity=s["capacity"] if s["capacity"] is not None else s["activity_capacity"],
            waitlisted=s["waitlisted_count"],
            new_names=tuple(names.get(s["id"], ())),
        )
        for s in sessions
    ]


async def _previous_digest_at(host_id: int, before: datetime | None = None) -> datetime | None:
    query = OutboxMessage.select(OutboxMessage.created_at).where(
        OutboxMessage.kind == MessageKind.host_digest.value, OutboxMessage.staff_user_id == host_id
    )
    if before is not None:
        query = query.where(OutboxMessage.created_at < before)
    row = await query.order_by(OutboxMessage.created_at, ascending=False).first()
    return as_utc(row["created_at"]) if row else None


async def write_host_digests(now: datetime | None = None, zone: str | None = None) -> int:
    """Write today's digest rows (from 07:00 local time on); returns how many were written."""
    from app.auth.tables import StaffUser
    from app.settings import get_settings

    now = now or utcnow()
    settings = get_settings()
    local = now.astimezone(ZoneInfo(zone or settings.timezone))
    if local.time() < DIGEST_TIME:
        return 0
    hosts = await StaffUser.select(StaffUser.id, StaffUser.employer_id, StaffUser.language).where(
        StaffUser.role == "host", StaffUser.active.eq(True), StaffUser.employer_id.is_not_null()
    )
    written = 0
    for host in hosts:
        key = f"host_digest:{host['id']}:{local.date().isoformat()}"
        if await OutboxMessage.exists().where(OutboxMessage.dedupe_key == key):
            continue
        since = await _previous_digest_at(host["id"])
        language = message_language(host["language"] or settings.default_language)
        slots = await digest_slots(host["employer_id"], since, now, language)
        if not has_news(slots):
            continue
        if await add_message(
            MessageKind.host_digest,
            dedupe_key=key,
            registration_id=None,
            session_id=None,
            staff_user_id=host["id"],
        ):
            written += 1
    return written


async def load_digest(row: dict[str, Any], default_language: str, base_url: str) -> tuple[str, DigestData] | None:
    """(address, digest) for a digest row, or ``None`` if the host is gone or has no e-mail."""
    from app.auth.tables import StaffUser

    host = (
        await StaffUser.select(StaffUser.name, StaffUser.email, StaffUser.employer_id, StaffUser.language)
        .where(StaffUser.id == row["staff_user_id"])
        .first()
    )
    if host is None or not host["email"] or host["employer_id"] is None:
        return None
    language = message_language(host["language"] or default_language)  # the host's own, else the project's
    until = as_utc(row["created_at"])
    since = await _previous_digest_at(row["staff_user_id"], before=until)
    slots = await digest_slots(host["employer_id"], since, until, language)
    data = DigestData(
        language=language,
        name=host["name"] or host["email"],
        portal_url=f"{base_url}/host",
        slots=tuple(slots),
    )
    return host["email"], data


def render_digest(data: DigestData) -> RenderedMessage:
    lang = message_language(data.language)
    catalog = translations(lang)

    def t(message: str, **values: Any) -> str:
        text = catalog.gettext(message)
        return text % values if values else text

    slots = []
    for slot in data.slots:
        headcount = (
            t(HEADCOUNT, count=slot.headcount, capacity=slot.capacity)
            if slot.capacity is not None
            else t(HEADCOUNT_OPEN, count=slot.headcount)
        )
        slots.append(
            {
                "title": slot.title,
                "when": when_text(catalog, slot.starts_at, slot.ends_at, slot.timezone, lang),
                "headcount": headcount,
                "waiting": t(WAITING, count=slot.waitlisted) if slot.waitlisted else "",
                "new": t(NEW, names=", ".join(slot.new_names)) if slot.new_names else t(NOTHING_NEW),
            }
        )
    subject = t(SUBJECT)
    direction = LANGUAGES[lang].direction
    context = {
        "subject": subject,
        "lead": t(LEAD, name=data.name),
        "slots": slots,
        "portal": t(PORTAL, url=data.portal_url),
        "url": data.portal_url,
        "lang": lang,
        "dir": direction,
    }
    text = _environment.get_template("digest.txt").render(context)
    html = _environment.get_template("digest.html").render(context)
    return RenderedMessage(subject=subject, text=text, html=html, sms=text, language=lang, direction=direction)


def has_news(slots: Sequence[DigestSlot]) -> bool:
    return any(slot.new_names for slot in slots)
