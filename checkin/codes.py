"""Signed check-in codes: what the QR code carries.

A code is ``TP<version>:<base32>``, where the base32 part packs the registration id and
a truncated HMAC-SHA256 over it. The server verifies a code with its secret alone, no
lookup table; the version names the key, so keys can rotate. Only characters of the QR
"alphanumeric" mode are used, which keeps the symbol at version 2 (25 by 25 modules) with medium
error correction. The code is not the personal manage token: seeing someone's QR code
does not let you cancel their place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass

CURRENT_VERSION = 1
MAC_BYTES = 10  # 80 bits: forging one code takes ~2^79 tries, and the door rate-limits


@dataclass(frozen=True, slots=True)
class CheckinKeys:
    """Secrets by version; ``current`` signs, all verify."""

    keys: dict[int, bytes]
    current: int = CURRENT_VERSION

    @classmethod
    def from_secret(cls, secret: str) -> CheckinKeys:
        derived = hmac.new(secret.encode(), b"treffpunkt checkin code v1", hashlib.sha256).digest()
        return cls(keys={CURRENT_VERSION: derived})


def _mac(key: bytes, registration_id: int) -> bytes:
    return hmac.new(key, b"checkin:" + str(registration_id).encode(), hashlib.sha256).digest()[:MAC_BYTES]


def sign(registration_id: int, keys: CheckinKeys) -> str:
    payload = struct.pack(">I", registration_id) + _mac(keys.keys[keys.current], registration_id)
    return f"TP{keys.current}:" + base64.b32encode(payload).decode().rstrip("=")


def verify(code: str, keys: CheckinKeys) -> int | None:
    """The registration id a genuine code stands for, or ``None``."""
    text = code.strip().upper()
    prefix, sep, body = text.partition(":")
    if not sep or not prefix.startswith("TP") or not prefix[2:].isdigit() or len(body) > 64:
        return None
    key = keys.keys.get(int(prefix[2:]))
    if key is None:
        return None
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (ValueError, base64.binascii.Error):  # type: ignore[attr-defined]
        return None
    if len(raw) != 4 + MAC_BYTES:
        return None
    (registration_id,) = struct.unpack(">I", raw[:4])
    if not hmac.compare_digest(raw[4:], _mac(key, registration_id)):
        return None
    return int(registration_id)


# --- short codes, typed by hand ----------------------------------------------------------

SHORT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: no 0/O, no 1/I
SHORT_LENGTH = 7  # 35 bits: unique enough within one session, and the door rate-limits typing


def short_code(registration_id: int, keys: CheckinKeys) -> str:
    """A 7-character code a person can read out or type, derived from the registration id.

    Too short to carry the id: the door resolves it among the registrations of its
    session (:func:`checkin.services.check_in`), so it is only valid with a session.
    """
    digest = hmac.new(keys.keys[keys.current], b"short:" + str(registration_id).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    symbols = []
    for _ in range(SHORT_LENGTH):
        number, index = divmod(number, len(SHORT_ALPHABET))
        symbols.append(SHORT_ALPHABET[index])
    return "".join(symbols)


def looks_signed(code: str) -> bool:
    """Whether a code has the shape of a QR payload (``TP1:…``) rather than a typed short code."""
    prefix, sep, _ = code.strip().upper().partition(":")
    return bool(sep) and prefix.startswith("TP") and prefix[2:].isdigit()


def normalise_short_code(code: str) -> str | None:
    """A typed short code in canonical form (upper case, no spaces or dashes), or ``None``."""
    text = "".join(code.split()).replace("-", "").upper()
    if len(text) != SHORT_LENGTH or any(symbol not in SHORT_ALPHABET for symbol in text):
        return None
    return text
