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
