"""The sign-up form's fields and its error messages in the person's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.pages import N_
from scheduling.contact import clean_name, normalise_email, normalise_phone
from scheduling.errors import InvalidActivity

# Keyed by the field a domain error names; translated when the page is rendered.
FIELD_MESSAGES = {
    "name": N_("Please write your name."),
    "phone": N_("Please check the phone number, for example 0151 2345678."),
    "phone_missing": N_("Please give a phone number or an e-mail address, so we can tell you about changes."),
    "email": N_("Please check the e-mail address, for example name@example.org."),
    "language": N_("Please choose a language."),
    "consent": N_("Please agree, so that we may sign you up."),
}

TOP_MESSAGES = {
    "closed": N_("Sign-up for this meeting is closed."),
    "full": N_("This meeting is full."),
    "busy": N_("Many people are signing up right now. Please send the form again in a moment."),
    "limited": N_("Too many sign-ups from your network. Please wait a few minutes."),
    "already": N_(
        "You are already registered for this meeting. Your personal link was sent to you when you signed up."
    ),
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


def form_errors(form: SignUpForm) -> dict[str, str]:
    """Every field error of a sign-up form at once (field → key of FIELD_MESSAGES), in form order.

    The same checks as the sign-up service, so a person fixes everything in one round instead of
    one field per try; the service stays the authority and checks again.
    """
    errors: dict[str, str] = {}
    checks: list[tuple[str, Callable[[], object]]] = [
        ("name", lambda: clean_name(form.name)),
        ("phone", lambda: normalise_phone(form.phone)),
        ("email", lambda: normalise_email(form.email)),
    ]
    for field, check in checks:
        try:
            check()
        except InvalidActivity as error:
            errors[field] = field_key(field, str(error))
    if not form.phone.strip() and not form.email.strip():
        errors["phone"] = "phone_missing"
    if not form.consented:
        errors["consent"] = "consent"
    order = ("name", "phone", "email", "language", "consent")
    return {field: errors[field] for field in order if field in errors}
