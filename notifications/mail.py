"""The e-mail for one outbox row: plain text and HTML, and for a ticket the QR code and the session as ICS."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from checkin.codes import CheckinKeys, sign
from checkin.qr import qr_png
from notifications.kinds import WITH_TICKET, MessageKind
from notifications.messages import MessageData, RenderedMessage
from notifications.mime import Part, flatten, text
from notifications.recipients import Recipient


@cache
def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "treffpunkt"


def message_id_header(message_id: int, base_url: str) -> str:
    """Stable per outbox row: a resent row carries the same Message-ID, so the far side can drop it."""
    return f"<outbox-{message_id}@{_host(base_url)}>"


def session_ics(recipient: Recipient, base_url: str) -> bytes:
    assert isinstance(recipient.data, MessageData)
    data = recipient.data
    calendar = Calendar()
    calendar.add("prodid", "-//Treffpunkt//Treffpunkt//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"registration-{recipient.registration_id}@{_host(base_url)}")
    event.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    event.add("summary", data.title)
    zone = ZoneInfo(data.timezone)
    event.add("dtstart", data.starts_at.astimezone(zone))
    event.add("dtend", data.ends_at.astimezone(zone))
    if recipient.location:
        event.add("location", recipient.location)
    event.add("url", data.manage_url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def email_bytes(
    message_id: int, recipient: Recipient, rendered: RenderedMessage, *, sender: str, base_url: str, secret_key: str
) -> bytes:
    """The whole message as sent over SMTP."""
    assert recipient.email is not None
    headers = (
        ("Subject", rendered.subject),
        ("From", sender),
        ("To", recipient.email),
        ("Message-ID", message_id_header(message_id, base_url)),
        ("Date", email.utils.formatdate(localtime=False)),
        ("Content-Language", rendered.language),
    )
    html = text(rendered.html, "html")
    ticket = recipient.data.kind in WITH_TICKET
    if ticket and recipient.data.kind is not MessageKind.session_moved:
        code = sign(recipient.registration_id, CheckinKeys.from_secret(secret_key))
        qr = Part(
            "image/png",
            qr_png(code, box_size=6),
            headers=(("Content-ID", "<qr>"), ("Content-Disposition", 'inline; filename="qr.png"')),
        )
        html = Part('multipart/related; type="text/html"', parts=(html, qr))
    body = Part("multipart/alternative", parts=(text(rendered.text), html))
    if ticket:
        ics = Part(
            'text/calendar; charset="utf-8"; method=PUBLISH; name="treffpunkt.ics"',
            session_ics(recipient, base_url),
            headers=(("Content-Disposition", 'attachment; filename="treffpunkt.ics"'),),
        )
        body = Part("multipart/mixed", parts=(body, ics))
    return flatten(headers, body)
