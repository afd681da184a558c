from datetime import UTC, datetime, timedelta

from httpx import AsyncClient as Client

from scheduling.services import visits
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of
from tests.visits.helpers import a_site, approve, propose, sign_up


async def test_feedback_waits_until_the_visit_has_begun(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    early = await client.post(f"/api/v1/slots/{slot['id']}/feedback", json={"text": "Gut"}, headers=site.host.headers)
    assert early.status_code == 409

    actor = visits.VisitActor(user_id=site.host.id, host_of=site.employer_id)
    after = datetime.fromisoformat(slot["ends_at"].replace("Z", "+00:00")) + timedelta(hours=1)
    done = await visits.leave_feedback(slot["id"], "Zwei wollen ein Praktikum.\r\n Sehr motiviert.", actor, now=after)
    assert done.feedback == "Zwei wollen ein Praktikum.\n Sehr motiviert."
    seen = await client.get(f"/api/v1/slots/{slot['id']}", headers=site.coordinator.headers)
    assert seen.json()["feedback"] == done.feedback


async def test_a_participant_marks_interest_and_the_coordinators_follow_up(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    amina = await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    await sign_up(client, slot["session_id"], 2)
    url = f"/api/v1/registrations/{amina['token']}/interest"
    assert (await client.get(url)).json() == {"interested": False}
    marked = await client.post(url, json={"interested": True})
    assert marked.status_code == 200 and marked.json() == {"interested": True}
    assert (await client.post(url, json={"interested": True})).status_code == 200, "twice is harmless"

    follow_ups = await client.get("/api/v1/visits/follow-ups", headers=site.coordinator.headers)
    assert follow_ups.status_code == 200
    [person] = follow_ups.json()
    assert (person["name"], person["phone"], person["email"]) == (
        "Amina Khalil",
        "+4915100000001",
        "person1@example.org",
    )
    assert (person["employer_id"], person["employer_name"], person["slot_id"]) == (
        site.employer_id,
        "Bäckerei Sonnenkorn",
        slot["id"],
    )
    assert person["visit_starts_at"] == slot["starts_at"]

    await client.post(url, json={"interested": False})
    assert (await client.get("/api/v1/visits/follow-ups", headers=site.coordinator.headers)).json() == []


async def test_follow_ups_are_for_coordinators_only(client: Client) -> None:
    site = await a_site(client)
    facilitator = await make_account("facilitator")
    assert (await client.get("/api/v1/visits/follow-ups", headers=site.host.headers)).status_code == 403
    assert (await client.get("/api/v1/visits/follow-ups", headers=facilitator.headers)).status_code == 403
    assert (await client.get("/api/v1/visits/follow-ups")).status_code == 401


async def test_interest_is_only_for_company_visits(client: Client) -> None:
    coordinator = await make_account("coordinator")
    start = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT10:00")
    group = await create_activity(client, coordinator.headers, start=start, rrule=None, exdates=[])
    [session] = await sessions_of(client, group["id"])
    person = await sign_up(client, session["id"], 3)
    response = await client.post(f"/api/v1/registrations/{person['token']}/interest", json={"interested": True})
    assert response.status_code == 409
    assert (await client.post("/api/v1/registrations/nope/interest", json={"interested": True})).status_code == 404


async def test_the_personal_page_has_an_interest_button_for_company_visits(client: Client) -> None:
    import re

    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    amina = await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    page = await client.get(f"/r/{amina['token']}?lang=en")
    assert "I would like an internship or a job here" in page.text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf
    response = await client.post(
        f"/r/{amina['token']}/interest",
        data={"interested": "yes", "_csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert (await client.get(f"/api/v1/registrations/{amina['token']}/interest")).json() == {"interested": True}


async def test_hosts_are_told_when_their_slot_is_approved_or_declined(client: Client) -> None:
    from notifications.sending import deliver
    from notifications.tables import OutboxMessage
    from tests.notifications.helpers import channels, smtp_server

    site = await a_site(client)
    approved = await propose(client, site)
    await approve(client, site, approved["id"])
    declined = await propose(client, site)
    await client.post(
        f"/api/v1/slots/{declined['id']}/decline",
        json={"reason": "Bitte einen Termin im Mai"},
        headers=site.coordinator.headers,
    )
    rows = await OutboxMessage.select().where(OutboxMessage.kind.like("slot_%")).order_by(OutboxMessage.id)
    assert [row["kind"] for row in rows] == ["slot_approved", "slot_declined"]
    for url, inbox in smtp_server():
        for row in rows:
            assert await deliver(row["id"], channels(smtp_url=url)) == "sent"
        subjects = [m["Subject"] for m in inbox.messages]
        assert subjects[0].startswith("Besuchstermin bestätigt") or subjects[0].startswith("Visit slot approved")
        assert "Bitte einen Termin im Mai" in inbox.messages[1].get_body(preferencelist=("plain",)).get_content()
