from httpx import AsyncClient as Client

from scheduling.services.visits import short_name
from tests.factories import make_account
from tests.visits.helpers import a_site, approve, propose, sign_up


def test_a_host_sees_the_first_name_and_the_initial_of_the_last() -> None:
    assert short_name("Amina Khalil") == "Amina K."
    assert short_name("  Mohammad   Reza  ahmadi ") == "Mohammad A."
    assert short_name("Dawit") == "Dawit"
    assert short_name("نور الهدى") == "نور ا."


async def a_visit_with_visitors(client: Client) -> tuple[object, dict[str, object]]:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    await sign_up(client, slot["session_id"], 2, name="=HYPERLINK(evil) Person")
    return site, slot


async def test_the_visitor_list_has_no_phone_or_email(client: Client) -> None:
    site, slot = await a_visit_with_visitors(client)
    response = await client.get(f"/api/v1/slots/{slot['id']}/visitors", headers=site.host.headers)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json() == [
        {"name": "=HYPERLINK(evil) P.", "language": "ar", "status": "confirmed"},
        {"name": "Amina K.", "language": "ar", "status": "confirmed"},
    ]
    text = response.text
    assert "Khalil" not in text and "+49151" not in text and "@example.org" not in text
    assert response.headers["cache-control"] == "private, no-store"


async def test_the_csv_for_the_gate_is_as_private_and_safe_in_a_spreadsheet(client: Client) -> None:
    site, slot = await a_visit_with_visitors(client)
    response = await client.get(f"/api/v1/slots/{slot['id']}/visitors.csv", headers=site.host.headers)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines() == [
        "name,language,status",
        "'=HYPERLINK(evil) P.,ar,confirmed",
        "Amina K.,ar,confirmed",
    ]
    assert "Khalil" not in response.text and "+49151" not in response.text


async def test_staff_keep_the_full_roster_and_hosts_do_not_get_it(client: Client) -> None:
    site, slot = await a_visit_with_visitors(client)
    roster = f"/api/v1/sessions/{slot['session_id']}/registrations"
    assert (await client.get(roster, headers=site.host.headers)).status_code == 403  # type: ignore[attr-defined]
    facilitator = await make_account("facilitator")
    full = await client.get(roster, headers=facilitator.headers)
    assert "Amina Khalil" in full.text and "+4915100000001" in full.text
    summary = await client.get(f"/api/v1/slots/{slot['id']}/visitors", headers=facilitator.headers)
    assert "Khalil" not in summary.text
