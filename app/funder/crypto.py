"""Encryption of the funder profile's coded values at rest (Fernet, with key rotation).

The key is ``TREFFPUNKT_DATA_KEYS`` (comma-separated Fernet keys: the first encrypts,
all decrypt) or, when that is unset, one derived from ``TREFFPUNKT_SECRET_KEY`` with
HKDF-SHA256. The derived key always stays among the decrypting keys, so a deployment can
move from the derived key to its own keys without losing data. Each row stores the id of
the key that encrypted it (the first 12 hex digits of its SHA-256): the daily job
re-encrypts rows written with an older key (:func:`app.funder.services.reencrypt_profiles`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.settings import get_settings


class ProfileUnreadable(Exception):
    """A stored value was encrypted with a key that is no longer configured."""


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from the application secret (used when no data keys are set)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"treffpunkt", info=b"funder-profile/v1").derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


def key_id(key: bytes | str) -> str:
    data = key.encode("ascii") if isinstance(key, str) else key
    return hashlib.sha256(data).hexdigest()[:12]


@lru_cache(maxsize=4)
def _ring(secret_key: str, data_keys: tuple[str, ...]) -> tuple[MultiFernet, str]:
    keys = [key.encode("ascii") for key in data_keys]
    derived = derive_key(secret_key)
    if derived not in keys:
        keys.append(derived)
    return MultiFernet([Fernet(key) for key in keys]), key_id(keys[0])


def key_ring() -> tuple[MultiFernet, str]:
    """The cipher (encrypts with the first key, decrypts with any) and the current key's id."""
    settings = get_settings()
    return _ring(settings.secret_key, settings.data_keys)


def encrypt_json(value: Any) -> tuple[str, str]:
    """``(token, key id)`` for a JSON-able value."""
    cipher, current = key_ring()
    plain = json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return cipher.encrypt(plain).decode("ascii"), current


def decrypt_json(token: str) -> Any:
    cipher, _ = key_ring()
    try:
        return json.loads(cipher.decrypt(token.encode("ascii")))
    except InvalidToken as exc:
        raise ProfileUnreadable(
            "This profile was encrypted with a key that is not configured; add the old key to TREFFPUNKT_DATA_KEYS."
        ) from exc


def rotate(token: str) -> str:
    """The same value encrypted with the current key."""
    cipher, _ = key_ring()
    try:
        return cipher.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise ProfileUnreadable("This profile was encrypted with a key that is not configured.") from exc
