"""Profile values at rest: Fernet from the secret or from TREFFPUNKT_DATA_KEYS, with rotation."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.fernet import Fernet
from httpx import AsyncClient as Client

from app.funder import crypto
from app.funder.erasure import reencrypt_profiles
from app.funder.tables import FunderProfile
from app.settings import get_settings
from tests.factories import make_account
from tests.funder.helpers import a_group, a_person, put_profile

BODY = {"entry_date": "2026-10-01", "values": {"gender": "female"}}


def _use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    settings = dataclasses.replace(get_settings(), data_keys=tuple(keys))
    monkeypatch.setattr(crypto, "get_settings", lambda: settings)


async def _key_ids() -> set[str]:
    return {row["key_id"] for row in await FunderProfile.select(FunderProfile.key_id)}


async def test_rotating_to_new_keys_keeps_every_profile_readable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await put_profile(client, coordinator, person, **BODY)  # under the key derived from the secret
    assert await _key_ids() == {crypto.key_id(crypto.derive_key(get_settings().secret_key))}
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _use_keys(monkeypatch, first)
    url = f"/api/v1/participants/{person}/profile"
    assert (await client.get(url, headers=coordinator.headers)).json()["values"] == BODY["values"]
    assert await reencrypt_profiles() == 1 and await _key_ids() == {crypto.key_id(first)}
    assert await reencrypt_profiles() == 0
    _use_keys(monkeypatch, second, first)  # a new key in front, the old one still decrypts
    assert await reencrypt_profiles() == 1 and await _key_ids() == {crypto.key_id(second)}
    _use_keys(monkeypatch, second)  # the old key is gone: nothing needed it any more
    assert (await client.get(url, headers=coordinator.headers)).json()["values"] == BODY["values"]


async def test_a_profile_under_an_unknown_key_is_a_clear_503(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    _use_keys(monkeypatch, Fernet.generate_key().decode())
    await put_profile(client, coordinator, person, **BODY)
    monkeypatch.setattr(
        crypto, "get_settings", lambda: dataclasses.replace(get_settings(), secret_key="another-secret-key-000")
    )
    response = await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)
    assert response.status_code == 503 and "TREFFPUNKT_DATA_KEYS" in response.json()["detail"]
