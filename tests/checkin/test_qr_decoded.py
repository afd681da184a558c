"""The QR code on the personal page, read by an independent decoder (zxing-cpp), checks the person in."""

from __future__ import annotations

import io

import zxingcpp
from httpx import AsyncClient as Client
from PIL import Image

from checkin.qr import qr_version
from tests.checkin.helpers import a_door, attendance_rows, register, scan


def decode_png(png: bytes) -> str:
    """The text of the one QR code in the image, as a phone's scanner would read it."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1, results
    return str(results[0].text)


async def test_the_decoded_qr_code_checks_in_then_says_already(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    png = await client.get(f"/r/{person['token']}/qr.png")
    assert png.status_code == 200
    payload = decode_png(png.content)
    assert person["token"] not in payload  # the QR code never carries the manage token
    assert qr_version(payload) <= 4
    first = await scan(client, door.facilitator, payload, session_id=door.session_id)
    assert first.json()["result"] == "ok", first.text
    assert first.json()["registration"]["id"] == person["id"]
    second = await scan(client, door.facilitator, payload, session_id=door.session_id)
    assert second.json()["result"] == "already"
    assert await attendance_rows(person["id"]) == 1


async def test_a_decoded_code_with_one_changed_character_is_invalid(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    payload = decode_png((await client.get(f"/r/{person['token']}/qr.png")).content)
    middle = len(payload) // 2  # inside the signature (the last symbol carries only padding bits)
    tampered = payload[:middle] + ("A" if payload[middle] != "A" else "B") + payload[middle + 1 :]
    answer = (await scan(client, door.facilitator, tampered, session_id=door.session_id)).json()
    assert answer["result"] == "invalid"
    assert await attendance_rows(person["id"]) == 0


async def test_the_decoded_code_of_a_cancelled_registration_says_cancelled(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    payload = decode_png((await client.get(f"/r/{person['token']}/qr.png")).content)
    await client.delete(f"/api/v1/registrations/{person['token']}")
    answer = (await scan(client, door.facilitator, payload, session_id=door.session_id)).json()
    assert answer["result"] == "cancelled"


async def test_the_decoded_code_at_another_sessions_door_is_wrong_session(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    payload = decode_png((await client.get(f"/r/{person['token']}/qr.png")).content)
    other = int(door.sessions[1]["id"])
    answer = (await scan(client, door.facilitator, payload, session_id=other)).json()
    assert answer["result"] == "wrong_session"
    assert await attendance_rows(person["id"]) == 0
