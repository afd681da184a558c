"""Sending one outbox row, exactly once however often the job runs.

A job first *claims* its row in the database (pending → sending, with a claim time);
a second run of the same job finds nothing to claim and does nothing. After sending,
the row becomes ``sent`` only if our claim still holds. A worker killed between send
and mark leaves a claim that expires after ``CLAIM_TIMEOUT``; the sweep then retries
it. That window is the only way a message can go out twice, and the message id
(``Message-ID`` for e-mail, ``id`` for the SMS gateway) lets the far side drop it.
"""

from __future__ import annotations

import email.utils
import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import aiosmtplib
from icalendar import Calendar, Event

from app.database import write_transaction
from checkin.codes import CheckinKeys, sign
from checkin.qr import qr_png
from notifications.kinds import WITH_TICKET, MessageKind
from notifications.messages import MessageData, RenderedMessage, render
from notifications.sms import send_sms
from notifications.tables import OutboxMessage
from scheduling.languages import pick_text
from scheduling.services._common import as_utc, utcnow
from scheduling.tables import Registration

# How long a claim protects a row being sent; after that a crashed worker's row is retried.
CLAIM_TIMEOUT = timedelta(seconds=int(os.environ.get("TREFFPUNKT_OUTBOX_CLAIM_SECONDS", "300")))
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
QUIET_START, QUIET_END = time(21, 0), time(8, 0)


@dataclass(frozen=True, slots=True)
class Channels:
    """Where messages go; without SMTP or SMS they are kept in the outbox log only."""

    smtp_url: str | None
    sms_url: str | None
    base_url: str
    secret_key: str
    default_language: str = "de"
    sender: str = "Treffpunkt <no-reply@treffpunkt.invalid>"


@dataclass(frozen=True, slots=True)
class Recipient:
    registration_id: int
    phone: str | None
    email: str | None
    data: MessageData
    location: str


async def claim(message_id: int, now: datetime) -> dict[str, Any] | None:
    """Take the row for sending, or ``None`` if it is not due, already sent, or someone else holds it.

    One conditional UPDATE: of two concurrent claims (on either database) only one matches.
    """
    due = (OutboxMessage.status == "pending") & (OutboxMessage.not_before <= now)
    stale = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
    async with write_transaction():
        rows = (
            await OutboxMessage.update(
                {
                    OutboxMessage.status: "sending",
                    OutboxMessage.claimed_at: now,
                    OutboxMessage.attempts: OutboxMessage.attempts + 1,
                }
            )
            .where(OutboxMessage.id == message_id, due | stale)
            .returning(*OutboxMessage.all_columns())
        )
    return rows[0] if rows else None


async def _finish(row: dict[str, Any], changes: dict[Any, Any]) -> bool:
    """Apply ``changes`` only while our claim holds (a re-claim of a stale row bumps ``attempts``)."""
    done = (
        await OutboxMessage.update(changes)
        .where(
            OutboxMessage.id == row["id"], OutboxMessage.status == "sending", OutboxMessage.attempts == row["attempts"]
        )
        .returning(OutboxMessage.id)
    )
    return bool(done)


async def load_recipient(row: dict[str, Any], channels: Channels) -> Recipient | None:
    activity: Any = Registration.session.activity
    found = (
        await Registration.select(
            Registration.id,
            Registration.token,
            Registration.status,
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
        .where(Registration.id == row["registration_id"])
        .output(load_json=True)
        .first()
    )
    if found is None:
        return None
    from scheduling.services.registrations import waitlist_position

    language = found["language"] or channels.default_language
    place = ", ".join(p for p in (found["venue_name"], found["venue_address"]) if p)
    data = MessageData(
        kind=MessageKind(row["kind"]),
        language=language,
        name=found["name"],
        title=pick_text(found["title"] or {}, language, [channels.default_language, "en", *(found["languages"] or [])]),
        starts_at=as_utc(found["starts_at"]),
        ends_at=as_utc(found["ends_at"]),
        timezone=found["timezone"],
        place=place,
        manage_url=f"{channels.base_url}/r/{found['token']}",
        waitlist_position=await waitlist_position(found["id"]),
    )
    return Recipient(found["id"], found["phone"], found["email"], data, place)


async def load_host_recipient(row: dict[str, Any], channels: Channels) -> Recipient | None:
    """A host (staff account) told about their company-visit slot; e-mail only."""
    from app.auth.tables import StaffUser
    from scheduling.tables import Session, VisitSlot

    host = await StaffUser.select(StaffUser.name, StaffUser.email).where(StaffUser.id == row["staff_user_id"]).first()
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
    data = MessageData(
        kind=MessageKind(row["kind"]),
        language=channels.default_language,
        name=host["name"] or host["email"],
        title=pick_text(session["title"] or {}, channels.default_language, ["en"]),
        starts_at=as_utc(session["starts_at"]),
        ends_at=as_utc(session["ends_at"]),
        timezone=session["timezone"],
        place=session["venue_name"] or "",
        manage_url=f"{channels.base_url}/host",
        reason=(slot or {}).get("decline_reason") or "",
    )
    return Recipient(registration_id=0, phone=None, email=host["email"], data=data, location=data.place)


def choose_channel(recipient: Recipient, channels: Channels) -> str:
    """E-mail when the person gave one (room for the calendar and the code), else SMS, else the log."""
    if recipient.email and channels.smtp_url:
        return "email"
    if recipient.phone and channels.sms_url:
        return "sms"
    if recipient.email and not channels.sms_url:
        return "log"
    return "log"


def next_sms_time(now: datetime, zone: str) -> datetime | None:
    """``None`` if an SMS may go out now, else the next 08:00 local time."""
    local = now.astimezone(ZoneInfo(zone))
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def session_ics(recipient: Recipient, channels: Channels) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Treffpunkt//Treffpunkt//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = urlsplit(channels.base_url).hostname or "treffpunkt"
    event.add("uid", f"registration-{recipient.registration_id}@{host}")
    event.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    event.add("summary", recipient.data.title)
    zone = ZoneInfo(recipient.data.timezone)
    event.add("dtstart", recipient.data.starts_at.astimezone(zone))
    event.add("dtend", recipient.data.ends_at.astimezone(zone))
    if recipient.location:
        event.add("location", recipient.location)
    event.add("url", recipient.data.manage_url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def build_email(message_id: int, recipient: Recipient, rendered: RenderedMessage, channels: Channels) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = channels.sender
    message["To"] = recipient.email
    message["Message-ID"] = f"<outbox-{message_id}@{urlsplit(channels.base_url).hostname or 'treffpunkt'}>"
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Content-Language"] = rendered.language
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    ticket = recipient.data.kind in WITH_TICKET
    if ticket and recipient.data.kind is not MessageKind.session_moved:
        html_part: Any = message.get_payload()[1]  # type: ignore[index]
        code = sign(recipient.registration_id, CheckinKeys.from_secret(channels.secret_key))
        html_part.add_related(qr_png(code, box_size=6), maintype="image", subtype="png", cid="<qr>")
    if ticket:
        message.add_attachment(
            session_ics(recipient, channels),
            maintype="text",
            subtype="calendar",
            filename="treffpunkt.ics",
            params={"method": "PUBLISH"},
        )
    return message


async def send_email(smtp_url: str, message: EmailMessage) -> None:
    parts = urlsplit(smtp_url)
    await aiosmtplib.send(
        message,
        hostname=parts.hostname or "localhost",
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=parts.scheme == "smtps",
        start_tls=None,
        timeout=15,
    )


async def deliver(message_id: int, channels: Channels, now: datetime | None = None) -> str:
    """Send one outbox row if it is due and nobody else is sending it. Returns what happened."""
    now = now or utcnow()
    row = await claim(message_id, now)
    if row is None:
        return "nothing-to-do"
    if row["registration_id"]:
        recipient = await load_recipient(row, channels)
    elif row.get("staff_user_id"):
        recipient = await load_host_recipient(row, channels)
    else:
        recipient = None
    if recipient is None:
        await _finish(row, {OutboxMessage.status: "skipped", OutboxMessage.last_error: "the registration is gone"})
        return "skipped"
    kind = MessageKind(row["kind"])
    if kind in (MessageKind.reminder_day_before, MessageKind.reminder_two_hours) and recipient.data.starts_at <= now:
        await _finish(row, {OutboxMessage.status: "skipped", OutboxMessage.last_error: "the session has begun"})
        return "skipped"
    channel = choose_channel(recipient, channels)
    if channel == "sms":
        later = next_sms_time(now, recipient.data.timezone)
        if later is not None:
            await _finish(
                row,
                {
                    OutboxMessage.status: "pending",
                    OutboxMessage.not_before: later,
                    OutboxMessage.attempts: OutboxMessage.attempts - 1,
                },
            )
            return "deferred"
    rendered = render(recipient.data)
    try:
        if channel == "email":
            assert channels.smtp_url is not None
            await send_email(channels.smtp_url, build_email(message_id, recipient, rendered, channels))
        elif channel == "sms":
            assert channels.sms_url is not None and recipient.phone is not None
            await send_sms(channels.sms_url, recipient.phone, rendered.sms, message_id)
    except Exception as error:  # any channel failure: retry later, then park as failed
        attempts = row["attempts"]
        if attempts >= MAX_ATTEMPTS:
            await _finish(row, {OutboxMessage.status: "failed", OutboxMessage.last_error: _describe(error)})
            return "failed"
        delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
        await _finish(
            row,
            {
                OutboxMessage.status: "pending",
                OutboxMessage.not_before: now + timedelta(seconds=delay),
                OutboxMessage.last_error: _describe(error),
            },
        )
        return "retry"
    body = rendered.sms if channel == "sms" else rendered.text
    await _finish(
        row,
        {
            OutboxMessage.status: "sent",
            OutboxMessage.sent_at: utcnow(),
            OutboxMessage.channel: channel,
            OutboxMessage.language: rendered.language,
            OutboxMessage.subject: rendered.subject[:300],
            OutboxMessage.body: body,
            OutboxMessage.last_error: "",
        },
    )
    return "sent"


def _describe(error: BaseException) -> str:
    """An error for staff, without addresses (SMTP errors can quote them)."""
    return f"{type(error).__name__}"[:500]


async def due_message_ids(now: datetime | None = None, limit: int = 1000) -> list[tuple[int, int]]:
    """(id, attempts) of rows the sweep should (re)enqueue: due pending ones and stale claims."""
    now = now or utcnow()
    rows = (
        await OutboxMessage.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(
            ((OutboxMessage.status == "pending") & (OutboxMessage.not_before <= now))
            | ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))
        )
        .order_by(OutboxMessage.not_before)
        .limit(limit)
    )
    return [(int(row["id"]), int(row["attempts"])) for row in rows]


async def resend(message_id: int) -> bool:
    """Staff: try a failed message again."""
    rows = (
        await OutboxMessage.update(
            {
                OutboxMessage.status: "pending",
                OutboxMessage.attempts: 0,
                OutboxMessage.not_before: utcnow(),
                OutboxMessage.last_error: "",
            }
        )
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")
        .returning(OutboxMessage.id)
    )
    return bool(rows)
