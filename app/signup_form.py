"""The sign-up form's fields and its error messages in the person's language."""

from __future__ import annotations

from dataclasses import dataclass

# Keyed by the field a domain error names; translated when the page is rendered.
FIELD_MESSAGES = {
    "name": "Please write your name.",
    "phone": "Please check the phone number, for example 0151 2345678.",
    "phone_missing": "Please give a phone number or an e-mail address, so we can tell you about changes.",
    "email": "Please check the e-mail address, for example name@example.org.",
    "language": "Please choose a language.",
    "consent": "Please agree, so that we may sign you up.",
}

TOP_MESSAGES = {
    "closed": "Sign-up for this meeting is closed.",
    "full": "This meeting is full.",
    "busy": "Many people are signing up right now. Please send the form again in a moment.",
    "limited": "Too many sign-ups from your network. Please wait a few minutes.",
    "already": "You are already registered for this meeting. Your personal link was sent to you when you signed up.",
}


@dataclass
class SignUpForm:
    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""
    consent: str = ""
    series: str = ""

    @property
    def consented(self) -> bool:
        return self.consent.lower() in ("on", "yes", "true", "1")


@dataclass
class DetailsForm:
    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


def field_key(field: str | None, message: str) -> str:
    if field == "phone" and "give a phone number or an e-mail" in message:
        return "phone_missing"
    return field if field in FIELD_MESSAGES else "name"
