"""The funder profile API: values checked against the field list, encrypted, consent, roles, audit."""

from __future__ import annotations

from httpx import AsyncClient as Client

from app.funder.crypto import encrypt_json
from app.funder.tables import FunderProfile, SpecialCategoryConsent
from app.privacy.tables import AuditEntry
from tests.factories import make_account
from tests.funder.helpers import a_group, a_person, give_consent, put_profile

ENTRY = {
    "entry_date": "2026-10-01",
    "values": {"age_band": "18_29", "gender": "female", "employment_at_entry": "long_term_unemployed"},
}


async def test_a_coordinator_records_and_reads_a_profile(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    saved = await put_profile(client, coordinator, person, **ENTRY)
    assert saved.status_code == 200, saved.text
    read = await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)
    body = read.json()
    assert read.status_code == 200 and read.headers["cache-control"] == "no-store"
    assert body["exists"] is True and body["entry_date"] == "2026-10-01" and body["exit_date"] is None
    assert body["values"] == ENTRY["values"] and body["updated_by"] == coordinator.id
    assert body["definition_version"] == "esf-plus-2021-2027"


async def test_the_coded_values_are_encrypted_at_rest(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await put_profile(client, coordinator, person, **ENTRY)
    raw = str(await FunderProfile.select())
    assert "long_term_unemployed" not in raw and "female" not in raw and "18_29" not in raw


async def test_a_person_without_a_profile_has_an_empty_one(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    body = (await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)).json()
    assert body["exists"] is False and body["values"] == {}


async def test_unknown_codes_fields_and_impossible_dates_are_refused_per_field(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    bad = await put_profile(
        client,
        coordinator,
        person,
        entry_date="2026-10-05",
        exit_date="2026-10-01",
        values={"gender": "robot", "shoe_size": "42", "situation_at_exit": "employment"},
    )
    assert bad.status_code == 400
    problems = bad.json()["extra"]["problems"]
    assert set(problems) == {"exit_date", "gender", "shoe_size"}
    assert "listed answers" in problems["gender"] and "before the entry date" in problems["exit_date"]
    assert await FunderProfile.count() == 0  # nothing half-written
    future = await put_profile(client, coordinator, person, entry_date="2999-01-01")
    assert future.status_code == 400 and future.json()["extra"]["field"] == "entry_date"
    no_date = await put_profile(client, coordinator, person, values={"situation_at_exit": "employment"})
    assert no_date.status_code == 400 and no_date.json()["extra"]["field"] == "exit_date"
    ancient = await put_profile(client, coordinator, person, entry_date="0001-01-01")
    assert ancient.status_code == 400 and ancient.json()["extra"]["field"] == "entry_date"
    garbage = await put_profile(client, coordinator, person, entry_date="yesterday")
    assert garbage.status_code == 400


async def test_disability_needs_a_separate_explicit_consent_first(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    refused = await put_profile(client, coordinator, person, entry_date="2026-10-01", values={"disability": "yes"})
    assert refused.status_code == 400 and refused.json()["extra"]["field"] == "disability"
    assert "consent" in refused.json()["detail"]
    consent = await give_consent(client, coordinator, person)
    assert consent.status_code == 201
    record = consent.json()["consents"][0]
    assert record["field"] == "disability" and record["text_version"] == "disability-2026-11"
    assert record["recorded_by"] == coordinator.id and record["active"] is True and record["given_at"]
    saved = await put_profile(client, coordinator, person, entry_date="2026-10-01", values={"disability": "yes"})
    assert saved.status_code == 200 and saved.json()["values"] == {"disability": "yes"}


async def test_consent_only_exists_for_special_category_fields(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    response = await give_consent(client, coordinator, person, field="gender")
    assert response.status_code == 400 and response.json()["extra"]["field"] == "gender"


async def test_withdrawing_the_consent_deletes_the_disability_value(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await give_consent(client, coordinator, person)
    await put_profile(
        client, coordinator, person, entry_date="2026-10-01", values={"disability": "yes", "gender": "male"}
    )
    withdrawn = await client.delete(
        f"/api/v1/participants/{person}/profile/consents/disability", headers=coordinator.headers
    )
    assert withdrawn.status_code == 200
    body = withdrawn.json()
    assert body["values"] == {"gender": "male"}
    assert body["consents"][0]["active"] is False and body["consents"][0]["withdrawn_by"] == coordinator.id
    again = await put_profile(client, coordinator, person, entry_date="2026-10-01", values={"disability": "no"})
    assert again.status_code == 400  # a new consent is needed
    nothing = await client.delete(
        f"/api/v1/participants/{person}/profile/consents/disability", headers=coordinator.headers
    )
    assert nothing.status_code == 404


async def test_answers_to_fields_no_longer_listed_survive_a_save(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await put_profile(client, coordinator, person, **ENTRY)
    token, key_id = encrypt_json({**ENTRY["values"], "old_question": "old_answer"})
    await FunderProfile.update({FunderProfile.values_encrypted: token, FunderProfile.key_id: key_id}).where(
        FunderProfile.participant_id == person
    )
    saved = await put_profile(client, coordinator, person, entry_date="2026-10-01", values={"gender": "male"})
    assert saved.json()["values"] == {"gender": "male", "old_question": "old_answer"}


async def test_who_may_open_a_profile(client: Client) -> None:
    coordinator = await make_account("coordinator")
    coach = await make_account("facilitator")
    other_coach = await make_account("facilitator")
    host = await make_account("host")
    sessions = await a_group(client, coordinator, facilitator_ids=[coach.id])
    person = await a_person(sessions[0], 1)
    url = f"/api/v1/participants/{person}/profile"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=host.headers)).status_code == 403
    refused = await client.get(url, headers=other_coach.headers)
    assert refused.status_code == 403 and "activity you facilitate" in refused.json()["detail"]
    assert (await put_profile(client, other_coach, person, **ENTRY)).status_code == 403
    assert (await put_profile(client, coach, person, **ENTRY)).status_code == 200
    assert (await client.get(url, headers=coach.headers)).status_code == 200
    admin = await make_account("admin")
    assert (await client.get(url, headers=admin.headers)).status_code == 200
    assert (await client.get("/api/v1/participants/999999/profile", headers=admin.headers)).status_code == 404


async def test_every_read_and_change_is_audited(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)
    await put_profile(client, coordinator, person, **ENTRY)
    await give_consent(client, coordinator, person)
    await client.delete(f"/api/v1/participants/{person}/profile/consents/disability", headers=coordinator.headers)
    await client.delete(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)
    entries = await AuditEntry.select().order_by(AuditEntry.id)
    assert [e["action"] for e in entries] == [
        "profile.read",
        "profile.update",
        "profile.consent",
        "profile.consent_withdraw",
        "profile.delete",
    ]
    assert {e["subject"] for e in entries} == {f"participant:{person}"}
    assert {e["user_id"] for e in entries} == {coordinator.id}
    assert await FunderProfile.count() == 0 and await SpecialCategoryConsent.count() == 0


async def test_an_erased_person_has_no_profile_to_open(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await client.post(f"/api/v1/participants/{person}/erase", headers=coordinator.headers)
    response = await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)
    assert response.status_code == 409 and "erased" in response.json()["detail"]


async def test_the_field_list_is_published_for_staff(client: Client) -> None:
    coordinator = await make_account("coordinator")
    body = (await client.get("/api/v1/funder/profile-fields?lang=de", headers=coordinator.headers)).json()
    disability = next(f for f in body["fields"] if f["key"] == "disability")
    assert disability["label"] == "Lebt mit einer Behinderung" and disability["special_category"] is True
    assert disability["consent_text"].startswith("Ich bin einverstanden")
