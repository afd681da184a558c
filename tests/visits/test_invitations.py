import re
from datetime import UTC, datetime, timedelta

from httpx import AsyncClient as Client

from app.auth import invitations
from app.auth.tables import HostInvitation, StaffUser
from tests.visits.helpers import a_site, csrf_token

NEW_PASSWORD = "a long new host password"


async def invite(client: Client, headers: dict[str, str], employer_id: int, email: str = "hanna@bakery.example") -> str:
    response = await client.post(
        f"/api/v1/employers/{employer_id}/invitations", json={"email": email, "name": "Hanna"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["invite_url"])


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def accept(client: Client, path: str, password: str = NEW_PASSWORD, again: str | None = None) -> object:
    token = await csrf_token(client, path)
    return await client.post(
        path,
        data={"name": "Hanna S.", "password": password, "password_again": again or password, "_csrf_token": token},
        follow_redirects=False,
    )


async def test_only_coordinators_invite_and_only_the_digest_is_stored(client: Client) -> None:
    site = await a_site(client)
    denied = await client.post(
        f"/api/v1/employers/{site.employer_id}/invitations", json={"email": "x@y.example"}, headers=site.host.headers
    )
    assert denied.status_code == 403
    url = await invite(client, site.coordinator.headers, site.employer_id)
    token = url.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token)
    rows = await HostInvitation.select()
    assert len(rows) == 1 and token not in str(rows)
    assert rows[0]["expires_at"] - rows[0]["created_at"] == timedelta(days=7)


async def test_an_invitation_for_a_taken_address_or_unknown_employer_is_refused(client: Client) -> None:
    site = await a_site(client)
    url = f"/api/v1/employers/{site.employer_id}/invitations"
    taken = await client.post(url, json={"email": site.host.email}, headers=site.coordinator.headers)
    assert taken.status_code == 409
    bad = await client.post(url, json={"email": "not an address"}, headers=site.coordinator.headers)
    assert bad.status_code == 400
    unknown = await client.post(
        "/api/v1/employers/999/invitations", json={"email": "a@b.example"}, headers=site.coordinator.headers
    )
    assert unknown.status_code == 404


async def test_the_link_creates_a_host_of_that_employer_and_signs_them_in(client: Client) -> None:
    site = await a_site(client)
    path = path_of(await invite(client, site.coordinator.headers, site.employer_id))
    page = await client.get(path)
    assert page.status_code == 200
    assert "hanna@bakery.example" in page.text and page.headers["cache-control"] == "no-store"
    response = await accept(client, path)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/host"  # type: ignore[attr-defined]
    user = await StaffUser.select().where(StaffUser.email == "hanna@bakery.example").first()
    assert user is not None
    assert (user["role"], user["employer_id"], user["name"]) == ("host", site.employer_id, "Hanna S.")
    portal = await client.get("/host")
    assert portal.status_code == 200 and "Bäckerei Sonnenkorn" in portal.text


async def test_a_used_link_cannot_be_used_again(client: Client) -> None:
    site = await a_site(client)
    path = path_of(await invite(client, site.coordinator.headers, site.employer_id))
    token = await csrf_token(client, path)
    await accept(client, path)
    again = await client.get(path, params={"lang": "en"})
    assert again.status_code == 410
    assert "used already" in again.text
    reposted = await client.post(
        path,
        data={"password": "another long password", "password_again": "another long password", "_csrf_token": token},
    )
    assert reposted.status_code == 410
    assert await StaffUser.count().where(StaffUser.email == "hanna@bakery.example") == 1


async def test_an_expired_link_gets_a_clear_page(client: Client) -> None:
    site = await a_site(client)
    issued = await invitations.invite_host(
        site.employer_id, "late@bakery.example", at=datetime.now(UTC) - timedelta(days=7, minutes=1)
    )
    page = await client.get(f"/host/invite/{issued.token}", params={"lang": "en"})
    assert page.status_code == 410
    assert "expired" in page.text
    assert not await StaffUser.exists().where(StaffUser.email == "late@bakery.example")


async def test_an_unknown_link_is_a_404_page(client: Client) -> None:
    page = await client.get("/host/invite/not-a-real-token", params={"lang": "en"})
    assert page.status_code == 404
    assert "not valid" in page.text


async def test_a_short_or_mistyped_password_shows_the_form_again(client: Client) -> None:
    site = await a_site(client)
    path = path_of(await invite(client, site.coordinator.headers, site.employer_id))
    short = await accept(client, path, password="short")
    assert short.status_code == 400  # type: ignore[attr-defined]
    mismatch = await accept(client, path, again="a different long password")
    assert mismatch.status_code == 400  # type: ignore[attr-defined]
    assert (await client.get(path)).status_code == 200, "a failed attempt does not use the link up"


async def test_the_form_needs_its_csrf_token(client: Client) -> None:
    site = await a_site(client)
    path = path_of(await invite(client, site.coordinator.headers, site.employer_id))
    await client.get(path)
    response = await client.post(path, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 403
    assert not await StaffUser.exists().where(StaffUser.email == "hanna@bakery.example")
