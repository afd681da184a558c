from httpx import AsyncClient as Client

from tests.factories import make_account
from tests.visits.helpers import a_site, approve, in_days, propose, sign_up


async def test_a_proposed_slot_stays_hidden_until_a_coordinator_approves_it(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    assert slot["status"] == "proposed"
    assert slot["employer_id"] == site.employer_id
    assert (slot["capacity"], slot["confirmed"], slot["waitlisted"]) == (3, 0, 0)

    activities = (await client.get("/api/v1/activities")).json()
    sessions = (await client.get("/api/v1/sessions")).json()
    assert slot["id"] not in [a["id"] for a in activities]
    assert slot["id"] not in [s["activity_id"] for s in sessions]
    assert (await client.get(f"/api/v1/activities/{slot['id']}")).status_code == 404
    refused = await client.post(
        f"/api/v1/sessions/{slot['session_id']}/registrations",
        json={"name": "Amina Khalil", "phone": "+4915100000001", "language": "ar", "consent": True},
    )
    assert refused.status_code == 404

    approved = await approve(client, site, slot["id"])
    assert approved["status"] == "published"
    sessions = (await client.get("/api/v1/sessions", params={"kind": "company_visit"})).json()
    assert [s["activity_id"] for s in sessions] == [slot["id"]]


async def test_participants_sign_up_and_the_host_sees_the_headcount(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    for n in range(1, 5):
        await sign_up(client, slot["session_id"], n)

    listed = await client.get(f"/api/v1/employers/{site.employer_id}/slots", headers=site.host.headers)
    assert listed.status_code == 200
    [seen] = listed.json()
    assert (seen["id"], seen["status"], seen["confirmed"], seen["waitlisted"], seen["seats_left"]) == (
        slot["id"],
        "published",
        3,
        1,
        0,
    )


async def test_a_host_cannot_approve_its_own_slot(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    response = await client.post(f"/api/v1/slots/{slot['id']}/approve", headers=site.host.headers)
    assert response.status_code == 403
    declined = await client.post(f"/api/v1/slots/{slot['id']}/decline", json={"reason": "x"}, headers=site.host.headers)
    assert declined.status_code == 403
    again = await client.get(f"/api/v1/slots/{slot['id']}", headers=site.host.headers)
    assert again.json()["status"] == "proposed"


async def test_a_host_of_another_employer_can_neither_read_nor_change_a_slot(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    headers = site.other_host.headers
    base = f"/api/v1/slots/{slot['id']}"
    assert (await client.get(f"/api/v1/employers/{site.employer_id}/slots", headers=headers)).status_code == 403
    proposed = await client.post(
        f"/api/v1/employers/{site.employer_id}/slots", json={"starts_at": in_days()}, headers=headers
    )
    assert proposed.status_code == 403
    assert (await client.get(base, headers=headers)).status_code == 404
    assert (await client.patch(base, json={"capacity": 9}, headers=headers)).status_code == 404
    assert (await client.post(f"{base}/withdraw", headers=headers)).status_code == 404
    assert (await client.post(f"{base}/feedback", json={"text": "gut"}, headers=headers)).status_code == 404
    assert (await client.get(f"{base}/visitors", headers=headers)).status_code == 404
    assert (await client.get(f"{base}/visitors.csv", headers=headers)).status_code == 404
    unchanged = await client.get(base, headers=site.host.headers)
    assert (unchanged.json()["capacity"], unchanged.json()["status"]) == (3, "proposed")


async def test_a_slot_needs_a_signed_in_host_or_coordinator(client: Client) -> None:
    site = await a_site(client)
    facilitator = await make_account("facilitator")
    assert (await client.get(f"/api/v1/employers/{site.employer_id}/slots")).status_code == 401
    body = {"starts_at": in_days()}
    url = f"/api/v1/employers/{site.employer_id}/slots"
    assert (await client.post(url, json=body, headers=facilitator.headers)).status_code == 403
    assert (await client.post(url, json=body, headers=site.coordinator.headers)).status_code == 201
    slot = await propose(client, site)
    assert (await client.get(f"/api/v1/slots/{slot['id']}", headers=facilitator.headers)).status_code == 200
    changed = await client.patch(f"/api/v1/slots/{slot['id']}", json={"capacity": 5}, headers=facilitator.headers)
    assert changed.status_code == 403


async def test_a_coordinator_declines_with_a_reason_the_host_sees(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    url = f"/api/v1/slots/{slot['id']}/decline"
    assert (await client.post(url, json={"reason": "  "}, headers=site.coordinator.headers)).status_code == 400
    response = await client.post(url, json={"reason": "Zu kurz vor den Ferien."}, headers=site.coordinator.headers)
    assert response.status_code == 200
    seen = (await client.get(f"/api/v1/slots/{slot['id']}", headers=site.host.headers)).json()
    assert (seen["status"], seen["decline_reason"]) == ("declined", "Zu kurz vor den Ferien.")
    approve_again = await client.post(f"/api/v1/slots/{slot['id']}/approve", headers=site.coordinator.headers)
    assert approve_again.status_code == 409


async def test_a_proposal_in_the_past_or_with_bad_fields_is_a_400_naming_the_field(client: Client) -> None:
    site = await a_site(client)
    url = f"/api/v1/employers/{site.employer_id}/slots"
    cases = [
        ({"starts_at": "2020-01-01T10:00"}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"starts_at": in_days(), "capacity": 0}, "capacity"),
        ({"starts_at": in_days(), "languages": ["klingon!"]}, "languages"),
        ({"starts_at": in_days(), "timezone": "Mars/Olympus"}, "timezone"),
    ]
    for body, field in cases:
        response = await client.post(url, json=body, headers=site.host.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in str(response.json()["extra"]) or field in response.json()["detail"], response.json()


async def test_an_offset_start_is_kept_as_local_time_in_the_zone(client: Client) -> None:
    site = await a_site(client)
    local = in_days(30, hour=9)
    slot = await propose(client, site, starts_at=f"{local}:00+00:00", timezone="UTC")
    assert slot["start"] == local
    assert slot["timezone"] == "UTC"
    assert slot["starts_at"].startswith(local)


async def test_the_host_edits_and_withdraws_before_anyone_signs_up(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    url = f"/api/v1/slots/{slot['id']}"
    same = await client.patch(url, json={"capacity": 3, "languages": ["ar", "de"]}, headers=site.host.headers)
    assert same.json()["status"] == "published", "no real change needs no new approval"
    moved = await client.patch(
        url, json={"starts_at": in_days(20), "capacity": 6, "notes": "Neu"}, headers=site.host.headers
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["start"], body["capacity"], body["notes"], body["status"]) == (in_days(20), 6, "Neu", "proposed")
    withdrawn = await client.post(f"{url}/withdraw", headers=site.host.headers)
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await client.post(f"{url}/approve", headers=site.coordinator.headers)).status_code == 409


async def test_once_someone_signed_up_the_host_can_no_longer_edit_or_withdraw(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1)
    url = f"/api/v1/slots/{slot['id']}"
    assert (await client.patch(url, json={"capacity": 8}, headers=site.host.headers)).status_code == 409
    assert (await client.post(f"{url}/withdraw", headers=site.host.headers)).status_code == 409
    assert (await client.get(url, headers=site.host.headers)).json()["status"] == "published"
