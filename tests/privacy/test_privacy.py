"""Download, erasure, retention and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient as Client

from app.funder.tables import FunderProfile, SpecialCategoryConsent
from app.privacy.services import apply_retention
from checkin.codes import CheckinKeys, sign
from notifications.tables import OutboxMessage
from scheduling.services.registrations import SignUp, sign_up
from scheduling.tables import Participant
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of


async def _registered(client: Client, start: str = "2027-10-07T10:00", **person: Any) -> tuple[dict[str, Any], Any]:
    """A sign-up; for sessions in the past it is made "back then" through the service."""
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start=start, exdates=[], rrule="FREQ=WEEKLY;COUNT=2")
    session = (await sessions_of(client, activity["id"]))[0]
    body = {
        "name": "Amina Haddad",
        "phone": "0151 23456789",
        "email": "amina@example.org",
        "language": "ar",
        "consent": True,
        **person,
    }
    back_then = datetime.fromisoformat(session["starts_at"]) - timedelta(days=1)
    if back_then > datetime.now(UTC):
        response = await client.post(f"/api/v1/sessions/{session['id']}/registrations", json=body)
        assert response.status_code == 201
        return response.json(), coordinator
    result = await sign_up(
        session["id"],
        SignUp(name=body["name"], language=body["language"], phone=body["phone"], email=body["email"], consent=True),
        now=back_then,
    )
    return {"id": result.registration_id, "token": result.token}, coordinator


async def test_a_person_downloads_everything_held_about_them(client: Client) -> None:
    mine, _ = await _registered(client)
    data = (await client.get(f"/api/v1/registrations/{mine['token']}/export")).json()
    assert data["person"]["name"] == "Amina Haddad" and data["person"]["phone"] == "+4915123456789"
    assert data["person"]["consent_version"]
    assert [r["id"] for r in data["registrations"]] == [mine["id"]]
    assert data["history"][0]["to_status"] == "confirmed"
    assert any(m["kind"] == "confirmed" for m in data["messages"])
    assert data["funder_profile"] is None  # nothing recorded for the funder yet
    download = await client.get(f"/r/{mine['token']}/data.json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]


async def _every_row() -> str:
    """Every row of every table, as text."""
    from piccolo.conf.apps import Finder

    rows = []
    for table in Finder().get_table_classes():
        rows.append(str(await table.select()))
    return "\n".join(rows)


async def test_erasure_leaves_no_personal_field_but_keeps_the_counts(client: Client, capfd: Any) -> None:
    mine, coordinator = await _registered(client, start="2026-10-01T10:00")
    door = await make_account("admin")
    code = sign(mine["id"], CheckinKeys.from_secret(__import__("app.settings").settings.get_settings().secret_key))
    checked = await client.post("/api/v1/checkin", json={"code": code}, headers=door.headers)
    assert checked.json()["result"] == "ok"
    participant_id = (await Participant.select(Participant.id).first())["id"]  # type: ignore[index]
    profile_url = f"/api/v1/participants/{participant_id}/profile"
    consent = await client.post(f"{profile_url}/consents", json={"field": "disability"}, headers=coordinator.headers)
    assert consent.status_code == 201
    profile = {
        "entry_date": "2026-10-01",
        "exit_date": "2026-10-08",
        "values": {"age_band": "30_54", "gender": "female", "disability": "yes", "situation_at_exit": "employment"},
    }
    assert (await client.put(profile_url, json=profile, headers=coordinator.headers)).status_code == 200
    params = {"from": "2026-09-01", "to": "2026-11-01"}
    before = (await client.get("/api/v1/reports/attendance.csv", params=params, headers=coordinator.headers)).text
    funder = {"from": "2026-10-01", "to": "2026-10-31", "internal": "true", "lang": "en"}
    funder_before = (await client.get("/api/v1/reports/funder.csv", params=funder, headers=coordinator.headers)).text
    assert "30 to 54,1" in funder_before
    capfd.readouterr()
    erased = await client.post(f"/api/v1/participants/{participant_id}/erase", headers=coordinator.headers)
    assert erased.status_code == 200
    person = await Participant.select().where(Participant.id == participant_id).first()
    assert person is not None and person["name"] == "(erased)" and person["phone"] is None and person["email"] is None
    assert (await client.get(f"/api/v1/registrations/{mine['token']}")).status_code == 404
    for row in await OutboxMessage.select(OutboxMessage.subject, OutboxMessage.body, OutboxMessage.status):
        assert row["subject"] == "" and row["body"] == ""
        assert row["status"] != "pending"
    after = (await client.get("/api/v1/reports/attendance.csv", params=params, headers=coordinator.headers)).text
    assert after == before
    funder_after = (await client.get("/api/v1/reports/funder.csv", params=funder, headers=coordinator.headers)).text
    assert funder_after == funder_before  # the profile lives on only as anonymous monthly counts
    assert await FunderProfile.count() == 0 and await SpecialCategoryConsent.count() == 0
    everything = await _every_row()
    for personal in ("Amina", "Haddad", "4915123456789", "amina@", mine["token"]):
        assert personal not in everything
    logs = capfd.readouterr()
    assert "Amina" not in logs.out + logs.err and "4915123456789" not in logs.out + logs.err


async def test_a_person_can_erase_themselves_and_future_places_are_freed(client: Client) -> None:
    mine, _ = await _registered(client)
    response = await client.post(f"/api/v1/registrations/{mine['token']}/erase")
    assert response.status_code == 200
    session = (await client.get("/api/v1/sessions?from=2027-10-01&limit=1")).json()[0]
    assert session["confirmed"] == 0


async def test_retention_erases_people_after_their_last_session(client: Client) -> None:
    old, _ = await _registered(client, start="2024-01-04T10:00", phone="0151 11111111", email="old@example.org")
    recent, _ = await _registered(client, start="2027-10-07T10:00", phone="0151 22222222", email="new@example.org")
    assert await apply_retention(24, now=datetime(2026, 11, 24, tzinfo=UTC)) == 1
    assert (await client.get(f"/api/v1/registrations/{old['token']}")).status_code == 404
    assert (await client.get(f"/api/v1/registrations/{recent['token']}")).status_code == 200
    assert await apply_retention(24, now=datetime(2026, 11, 24, tzinfo=UTC) + timedelta(days=1)) == 0


async def test_staff_reading_personal_data_is_audited(client: Client) -> None:
    mine, coordinator = await _registered(client)
    session_id = (await client.get(f"/api/v1/registrations/{mine['token']}")).json()["session"]["id"]
    await client.get(f"/api/v1/sessions/{session_id}/registrations", headers=coordinator.headers)
    admin = await make_account("admin")
    log = (await client.get("/api/v1/audit", headers=admin.headers)).json()
    assert log[0]["action"] == "roster.read" and log[0]["subject"] == f"session:{session_id}"
    assert log[0]["user_id"] == coordinator.id
    assert (await client.get("/api/v1/audit", headers=coordinator.headers)).status_code == 403


async def test_the_download_includes_the_funder_profile_and_its_consents(client: Client) -> None:
    mine, coordinator = await _registered(client)
    participant_id = (await Participant.select(Participant.id).first())["id"]  # type: ignore[index]
    url = f"/api/v1/participants/{participant_id}/profile"
    await client.post(f"{url}/consents", json={"field": "disability"}, headers=coordinator.headers)
    body = {"entry_date": "2026-10-01", "values": {"gender": "female", "disability": "no"}}
    assert (await client.put(url, json=body, headers=coordinator.headers)).status_code == 200
    data = (await client.get(f"/r/{mine['token']}/data.json")).json()["funder_profile"]
    assert data["entry_date"] == "2026-10-01"
    assert {"field": "gender", "question": "Gender", "code": "female", "answer": "female"} in data["answers"]
    assert {a["field"]: a["code"] for a in data["answers"]} == {"gender": "female", "disability": "no"}
    assert data["special_category_consents"][0]["text_version"] == "disability-2026-11"


async def test_retention_also_removes_the_funder_profile(client: Client) -> None:
    _, coordinator = await _registered(client, start="2024-01-04T10:00", phone="0151 11111111")
    participant_id = (await Participant.select(Participant.id).first())["id"]  # type: ignore[index]
    body = {"entry_date": "2024-01-04", "values": {"gender": "male"}}
    url = f"/api/v1/participants/{participant_id}/profile"
    assert (await client.put(url, json=body, headers=coordinator.headers)).status_code == 200
    assert await apply_retention(24, now=datetime(2026, 11, 24, tzinfo=UTC)) == 1
    assert await FunderProfile.count() == 0
    report = await client.get(
        "/api/v1/reports/funder",
        params={"from": "2024-01-01", "to": "2024-01-31", "internal": "true"},
        headers=coordinator.headers,
    )
    gender = next(t for t in report.json()["tables"] if t["key"] == "entry:gender")
    assert {r["code"]: r["values"][0] for r in gender["rows"]}["male"] == 1


async def test_erasure_reaches_the_records_merged_into_the_person(client: Client) -> None:
    _, coordinator = await _registered(client, start="2026-10-01T10:00")
    target = (await Participant.select(Participant.id).first())["id"]  # type: ignore[index]
    await _registered(client, start="2026-10-01T10:00", name="Amina H.", phone="0151 99999999", email="a.h@example.org")
    source = (await Participant.select(Participant.id).where(Participant.id != target).first())["id"]  # type: ignore[index]
    body = {"entry_date": "2026-10-01", "values": {"gender": "female"}}
    await client.put(f"/api/v1/participants/{source}/profile", json=body, headers=coordinator.headers)
    merged = await client.post(
        f"/api/v1/participants/{source}/merge", json={"into": target}, headers=coordinator.headers
    )
    assert merged.status_code == 200, merged.text
    assert (await client.post(f"/api/v1/participants/{target}/erase", headers=coordinator.headers)).status_code == 200
    everything = await _every_row()
    for personal in ("Amina", "4915199999999", "a.h@example.org", "4915123456789"):
        assert personal not in everything
    assert await FunderProfile.count() == 0
