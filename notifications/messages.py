"""Rendering messages in the person's language: subject, plain text, HTML and SMS.

Sentences are gettext messages (English source, catalogs in ``app/translations``), so
the pages and the messages share one set of translations. Dates and times are formatted
for the person's locale in the session's own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

from app.formatting import local_day, local_time
from app.i18n import LANGUAGES, translations
from notifications.kinds import FOR_HOSTS, MessageKind


def _(message: str) -> str:
    """Marks a string for extraction; translated when rendered."""
    return message


SUBJECTS: dict[MessageKind, str] = {
    MessageKind.confirmed: _("You have a place: %(title)s"),
    MessageKind.waitlisted: _("Waiting list: %(title)s"),
    MessageKind.promoted: _("A place is free for you: %(title)s"),
    MessageKind.reminder_day_before: _("Tomorrow: %(title)s"),
    MessageKind.reminder_two_hours: _("Soon: %(title)s"),
    MessageKind.session_cancelled: _("Cancelled: %(title)s"),
    MessageKind.session_moved: _("New time: %(title)s"),
    MessageKind.session_restored: _("It takes place after all: %(title)s"),
    MessageKind.slot_approved: _("Visit slot approved: %(title)s"),
    MessageKind.slot_declined: _("Visit slot declined: %(title)s"),
}

LEADS: dict[MessageKind, str] = {
    MessageKind.confirmed: _("Hello %(name)s, you have a place."),
    MessageKind.waitlisted: _(
        "Hello %(name)s, you are on the waiting list, number %(position)s. We will tell you when a place is free."
    ),
    MessageKind.promoted: _("Good news, %(name)s: a place is free and it is yours now."),
    MessageKind.reminder_day_before: _("Hello %(name)s, this is a reminder: we meet tomorrow."),
    MessageKind.reminder_two_hours: _("Hello %(name)s, this is a reminder: we meet in two hours."),
    MessageKind.session_cancelled: _("Hello %(name)s, we are sorry: this meeting is cancelled."),
    MessageKind.session_moved: _("Hello %(name)s, this meeting has a new time."),
    MessageKind.session_restored: _("Hello %(name)s, this meeting takes place after all."),
    MessageKind.slot_approved: _("Hello %(name)s, your visit slot is approved: participants can sign up now."),
    MessageKind.slot_declined: _("Hello %(name)s, your visit slot was declined. Reason: %(reason)s"),
}

WHEN = _("When: %(day)s, %(starts)s to %(ends)s")
WHERE = _("Where: %(place)s")
LINK = _("Your personal link (calendar, check-in code, cancel): %(url)s")
PLEASE_CANCEL = _("If you cannot come, please cancel with your link, so someone else gets the place.")
SHOW_CODE = _("Show the code at the door.")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "messages"
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # the worker renders thousands a second: no file check per message
)


@lru_cache(maxsize=1024)
def _when(starts_at: datetime, ends_at: datetime, zone: str, lang: str) -> tuple[str, str, str]:
    """Day, start and end for the locale; a batch of reminders shares a few sessions and languages."""
    return local_day(starts_at, zone, lang), local_time(starts_at, zone, lang), local_time(ends_at, zone, lang)


@dataclass(frozen=True, slots=True)
class MessageData:
    """Everything a message says, gathered from the database at sending time."""

    kind: MessageKind
    language: str
    name: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    manage_url: str
    waitlist_position: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    sms: str
    language: str
    direction: str


def message_language(language: str) -> str:
    """The person's language if we have it, else German (then English inside the catalogs)."""
    return language if language in LANGUAGES else "de"


def when_text(catalog: Any, starts_at: datetime, ends_at: datetime, zone: str, lang: str) -> str:
    """ "When: Thursday, 7 October 2027, 10:00 to 12:00" in the language of ``catalog``."""
    day, starts, ends = _when(starts_at, ends_at, zone, lang)
    return str(catalog.gettext(WHEN) % {"day": day, "starts": starts, "ends": ends})


# Stand-ins for the two things that differ between the people of one session: rendered once
# per (kind, language, session, ...) with these, then filled in per person. Private-use
# characters, so no translation, title or venue holds them by accident.
_NAME = "\ue000"
_URL = "\ue001"


def render(data: MessageData) -> RenderedMessage:
    """The message for one person: the session's rendering in their language, with their name and link.

    Rendering (gettext, dates, two Jinja templates) is the same for everyone in a session
    who reads the same language, so it is done once and cached; only the name and the
    personal link are put in per message, HTML-escaped in the HTML as Jinja would.
    """
    if _NAME in data.title + data.place + data.reason or _URL in data.title + data.place + data.reason:
        return render_uncached(data)  # a stand-in in staff's text would be mistaken for one of ours
    shape = _shape(
        data.kind,
        data.language,
        data.title,
        data.starts_at,
        data.ends_at,
        data.timezone,
        data.place,
        data.waitlist_position,
        data.reason,
    )
    name, url = data.name, data.manage_url
    html_name, html_url = str(escape(name)), str(escape(url))
    return RenderedMessage(
        subject=shape.subject.replace(_URL, url).replace(_NAME, name),
        text=shape.text.replace(_URL, url).replace(_NAME, name),
        html=shape.html.replace(_URL, html_url).replace(_NAME, html_name),
        sms=shape.sms.replace(_URL, url).replace(_NAME, name),
        language=shape.language,
        direction=shape.direction,
    )


@lru_cache(maxsize=512)
def _shape(
    kind: MessageKind,
    language: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    place: str,
    waitlist_position: int | None,
    reason: str,
) -> RenderedMessage:
    """The message with stand-ins for the name and the link."""
    stand_in = MessageData(
        kind=kind,
        language=language,
        name=_NAME,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        place=place,
        manage_url=_URL,
        waitlist_position=waitlist_position,
        reason=reason,
    )
    return render_uncached(stand_in)


def render_uncached(data: MessageData) -> RenderedMessage:
    lang = message_language(data.language)
    catalog = translations(lang)

    def t(message: str, **values: Any) -> str:
        text = catalog.gettext(message)
        return text % values if values else text

    values = {"title": data.title, "name": data.name, "position": data.waitlist_position or "?", "reason": data.reason}
    day, starts, ends = _when(data.starts_at, data.ends_at, data.timezone, lang)
    lines = {
        "lead": t(LEADS[data.kind], **values),
        "when": t(WHEN, day=day, starts=starts, ends=ends),
        "where": t(WHERE, place=data.place) if data.place else "",
        "link": data.manage_url if data.kind in FOR_HOSTS else t(LINK, url=data.manage_url),
        "please_cancel": t(PLEASE_CANCEL) if data.kind not in (MessageKind.session_cancelled, *FOR_HOSTS) else "",
        "show_code": t(SHOW_CODE) if data.kind in (MessageKind.confirmed, MessageKind.promoted) else "",
    }
    subject = t(SUBJECTS[data.kind], **values)
    direction = LANGUAGES[lang].direction
    context = {**lines, "subject": subject, "title": data.title, "lang": lang, "dir": direction, "url": data.manage_url}
    text = _environment.get_template("message.txt").render(context)
    html = _environment.get_template("message.html").render(context)
    sms = " ".join(part for part in (lines["lead"], f"{data.title}.", lines["when"], data.manage_url) if part)
    return RenderedMessage(subject=subject, text=text, html=html, sms=sms, language=lang, direction=direction)
