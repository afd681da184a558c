"""A message from staff to everyone registered for a session, through the outbox.

:func:`queue_staff_message` writes one outbox row per registered person, in one
transaction. Each row's key is ``staff_message:<message key>:<registration id>``: the
message key comes from the form (a random value made when the page was shown), so
sending the same form twice, or a retried request, queues nothing new, while a second
message from a fresh form reaches everyone again. The text staff wrote is kept on the row
(``subject``, ``body``) and sent by the worker like every other message: by e-mail or SMS,
whichever the person gave (see ``notifications.sending.choose_channel``), with a greeting,
the session and the person's link in their language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import escape

from app.database import write_transaction
from app.formatting import local_day, local_time
from app.i18n import LANGUAGES, translations
from notifications.kinds import MessageKind
from notifications.messages import MessageData, RenderedMessage, message_language, render
from notifications.outbox import add_message
from notifications.tables import OutboxMessage
from scheduling.errors import InvalidActivity, SessionNotFound
from scheduling.kinds import RegistrationStatus
from scheduling.locking import lock_session
from scheduling.services._common import as_utc
from scheduling.tables import Registration

MAX_SUBJECT = 200
MAX_TEXT = 2000
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _(message: str) -> str:
    """Marks a string for extraction; translated when rendered."""
    return message


GREETING = _("Hello %(name)s,")
ABOUT = _("About: %(title)s, %(day)s, %(starts)s to %(ends)s")
YOUR_LINK = _("Your personal link: %(url)s")


@dataclass(frozen=True, slots=True)
class Broadcast:
    queued: int  # rows written now
    already: int  # people this message had already been queued for (the same form sent again)


def check_message(subject: str, text: str, message_key: str) -> tuple[str, str]:
    """The cleaned subject and text; :class:`InvalidActivity` naming the field otherwise."""
    subject, text = subject.strip(), text.strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise InvalidActivity("subject", f"write a subject of 1 to {MAX_SUBJECT} characters")
    if not text or len(text) > MAX_TEXT:
        raise InvalidActivity("text", f"write a text of 1 to {MAX_TEXT} characters")
    if not _KEY.match(message_key):
        raise InvalidActivity("message_key", "the form is incomplete; reload the page and write the message again")
    return subject, text


async def queue_staff_message(
    session_id: int,
    *,
    subject: str,
    text: str,
    message_key: str,
    include_waitlist: bool = True,
) -> Broadcast:
    """One outbox row per person registered for the session (confirmed, and waitlisted if asked)."""
    subject, text = check_message(subject, text, message_key)
    statuses = [RegistrationStatus.confirmed.value]
    if include_waitlist:
        statuses.append(RegistrationStatus.waitlisted.value)
    queued = already = 0
    async with write_transaction():
        # The session row's lock makes two sends of one form (a double click) queue one after
        # the other, so the second finds the first one's rows instead of colliding with them.
        if await lock_session(session_id) is None:
            raise SessionNotFound(f"There is no session with id {session_id}.")
        people = (
            await Registration.select(Registration.id)
            .where(Registration.session == session_id, Registration.status.is_in(statuses))
            .order_by(Registration.id)
        )
        for person in people:
            message_id = await add_message(
                MessageKind.staff_message,
                dedupe_key=f"{MessageKind.staff_message.value}:{message_key}:{person['id']}",
                registration_id=person["id"],
                session_id=session_id,
            )
            if message_id is None:
                already += 1
                continue
            await OutboxMessage.update({OutboxMessage.subject: subject, OutboxMessage.body: text}).where(
                OutboxMessage.id == message_id
            )
            queued += 1
    return Broadcast(queued=queued, already=already)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One message staff wrote to a session, with how far it has got."""

    subject: str
    written_at: datetime
    people: int
    sent: int
    failed: int


async def staff_messages(session_id: int) -> list[SentMessage]:
    """The messages staff wrote to everyone in this session, newest first."""
    rows = (
        await OutboxMessage.select(
            OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.subject, OutboxMessage.created_at
        )
        .where(OutboxMessage.session_id == session_id, OutboxMessage.kind == MessageKind.staff_message.value)
        .order_by(OutboxMessage.id)
    )
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row["dedupe_key"].split(":")[1]
        entry = grouped.setdefault(
            key, {"subject": row["subject"], "at": row["created_at"], "people": 0, "sent": 0, "failed": 0}
        )
        entry["people"] += 1
        entry["sent"] += row["status"] == "sent"
        entry["failed"] += row["status"] == "failed"
    messages = [
        SentMessage(e["subject"], as_utc(e["at"]), e["people"], e["sent"], e["failed"]) for e in grouped.values()
    ]
    return sorted(messages, key=lambda m: m.written_at, reverse=True)


def render_staff_message(row: dict[str, Any], data: MessageData) -> RenderedMessage:
    """Staff's own words, framed by a greeting, the session and the link in the person's language."""
    lang = message_language(data.language)
    catalog = translations(lang)

    def t(message: str, **values: Any) -> str:
        return catalog.gettext(message) % values

    subject, text = str(row["subject"]), str(row["body"])
    greeting = t(GREETING, name=data.name)
    about = t(
        ABOUT,
        title=data.title,
        day=local_day(data.starts_at, data.timezone, lang),
        starts=local_time(data.starts_at, data.timezone, lang),
        ends=local_time(data.ends_at, data.timezone, lang),
    )
    link = t(YOUR_LINK, url=data.manage_url)
    direction = LANGUAGES[lang].direction
    plain = f"{greeting}\n\n{text}\n\n{about}\n{link}\n\n-- \nTreffpunkt\n"
    paragraphs = "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n"))
    html = (
        f'<!doctype html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>"
        f'<body style="font-family: system-ui, sans-serif; font-size: 16px; line-height: 1.5; white-space: pre-line;"'
        f' dir="{direction}"><p>{escape(greeting)}</p>{paragraphs}<p>{escape(about)}</p>'
        f'<p><a href="{escape(data.manage_url)}">{escape(data.manage_url)}</a></p>'
        f'<p style="color: #595959;">Treffpunkt</p></body></html>\n'
    )
    sms = f"{greeting} {text} ({data.title}) {data.manage_url}"
    return RenderedMessage(subject=subject, text=plain, html=html, sms=sms, language=lang, direction=direction)


def render_row(row: dict[str, Any], data: MessageData) -> RenderedMessage:
    """The message an outbox row stands for: staff's own words for a staff message, else the kind's template."""
    if row["kind"] == MessageKind.staff_message.value:
        return render_staff_message(row, data)
    return render(data)
