import re

from httpx import AsyncClient as Client

from tests.factories import make_account
from tests.visits.helpers import a_site, approve, csrf_token, in_days, propose, sign_in, sign_up


async def test_a_host_lands_in_the_portal_after_signing_in(client: Client) -> None:
    site = await a_site(client)
    response = await sign_in(client, site.host.email)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/host"
    chosen = await sign_in(client, site.host.email, next_path="/staff/account")
    assert chosen.headers["location"] == "/staff/account", "an explicit other target is kept"


async def test_staff_still_land_in_the_staff_workspace(client: Client) -> None:
    coordinator = await make_account("coordinator")
    response = await sign_in(client, coordinator.email)
    assert response.headers["location"] == "/staff"


async def test_the_portal_is_for_hosts_only(client: Client) -> None:
    signed_out = await client.get("/host", headers={"accept": "text/html"}, follow_redirects=False)
    assert signed_out.status_code in (302, 303)
    assert signed_out.headers["location"].startswith("/staff/login")
    coordinator = await make_account("coordinator")
    await sign_in(client, coordinator.email)
    assert (await client.get("/host")).status_code == 403


async def test_a_host_proposes_a_slot_with_the_form(client: Client) -> None:
    site = await a_site(client)
    await sign_in(client, site.host.email)
    home = await client.get("/host")
    assert home.status_code == 200
    assert "Bäckerei Sonnenkorn" in home.text and 'name="languages"' in home.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', home.text)
    assert token
    day, time = in_days(10, hour=9).split("T")
    response = await client.post(
        "/host/slots",
        data={
            "_csrf_token": token.group(1),
            "day": day,
            "time": time,
            "duration_minutes": "120",
            "capacity": "8",
            "languages": ["de", "uk"],
            "meeting_point": "Pforte",
            "notes": "Rundgang\r\nFragen",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    slot_path = response.headers["location"]
    slot = await client.get(f"/api/v1/slots/{slot_path.rsplit('/', 1)[1]}", headers=site.host.headers)
    body = slot.json()
    assert (body["status"], body["capacity"], body["languages"], body["notes"]) == (
        "proposed",
        8,
        ["de", "uk"],
        "Rundgang\nFragen",
    )
    page = await client.get(slot_path, params={"lang": "en"})
    assert "Waiting for approval" in page.text and "Withdraw this date" in page.text


async def test_a_bad_form_is_shown_again_with_the_field_marked(client: Client) -> None:
    site = await a_site(client)
    await sign_in(client, site.host.email)
    token = await csrf_token(client, "/host")
    response = await client.post(
        "/host/slots",
        data={"_csrf_token": token, "day": "2020-01-01", "time": "10:00", "duration_minutes": "120", "capacity": "0"},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert 'value="2020-01-01"' in response.text


async def test_the_slot_page_lists_visitors_by_first_name_and_initial(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    await sign_in(client, site.host.email)
    page = await client.get(f"/host/slots/{slot['id']}")
    assert page.status_code == 200
    assert "Amina K." in page.text
    assert "Khalil" not in page.text and "+4915100000001" not in page.text and "person1@" not in page.text
    assert "print-page" in page.text and f"/api/v1/slots/{slot['id']}/visitors.csv" in page.text
    assert "Withdraw this date" not in page.text, "no change once someone has signed up"
    csv = await client.get(f"/api/v1/slots/{slot['id']}/visitors.csv")
    assert csv.status_code == 200 and "Amina K." in csv.text


async def test_a_host_of_another_employer_gets_nothing_in_the_portal(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await sign_in(client, site.other_host.email)
    assert (await client.get(f"/host/slots/{slot['id']}")).status_code == 404
    token = await csrf_token(client, "/host")
    withdrawn = await client.post(f"/host/slots/{slot['id']}/withdraw", data={"_csrf_token": token})
    assert withdrawn.status_code == 404
    home = await client.get("/host")
    assert "Pflegedienst Lindenhof" in home.text and "Bäckerei" not in home.text


async def test_the_host_withdraws_a_slot_in_the_portal(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await sign_in(client, site.host.email)
    token = await csrf_token(client, f"/host/slots/{slot['id']}")
    response = await client.post(
        f"/host/slots/{slot['id']}/withdraw", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    page = await client.get(f"/host/slots/{slot['id']}", params={"lang": "en"})
    assert "Withdrawn" in page.text


async def test_saving_the_edit_form_unchanged_keeps_the_approval(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site, notes="Zeile eins\nZeile zwei")
    await approve(client, site, slot["id"])
    await sign_in(client, site.host.email)
    page = await client.get(f"/host/slots/{slot['id']}")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {
        "_csrf_token": token.group(1),
        "day": slot["start"][:10],
        "time": slot["start"][11:],
        "duration_minutes": "90",
        "capacity": "3",
        "languages": ["ar", "de"],
        "meeting_point": "Hintereingang, Hof",
        "notes": "Zeile eins\r\nZeile zwei",
        "title": "Betriebsbesuch: Bäckerei Sonnenkorn",
    }
    unchanged = await client.post(f"/host/slots/{slot['id']}/edit", data=form, follow_redirects=False)
    assert unchanged.status_code == 303
    assert (await client.get(f"/api/v1/slots/{slot['id']}", headers=site.host.headers)).json()["status"] == "published"
    changed = await client.post(
        f"/host/slots/{slot['id']}/edit", data={**form, "capacity": "5"}, follow_redirects=False
    )
    assert changed.status_code == 303
    body = (await client.get(f"/api/v1/slots/{slot['id']}", headers=site.host.headers)).json()
    assert (body["capacity"], body["status"]) == (5, "proposed")
