"""Contact details people type: phone numbers to E.164 (default region DE), e-mail addresses."""

from __future__ import annotations

import re

import phonenumbers

from scheduling.errors import InvalidActivity

_EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


def normalise_phone(value: str | None, region: str = "DE") -> str | None:
    """``"0151 2345 6789"`` → ``"+4915123456789"``; empty → ``None``."""
    if value is None or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidActivity(
            "phone", f"{value!r} is not a phone number; write it like 0151 2345678 or +49 151 2345678"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidActivity("phone", f"{value!r} is not a complete phone number; check the digits")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise InvalidActivity("email", f"{value!r} is not an e-mail address; write it like name@example.org")
    return email


def clean_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidActivity("name", "please give your name")
    if len(name) > 200:
        raise InvalidActivity("name", "the name is too long (at most 200 characters)")
    return name
