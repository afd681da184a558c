"""A staff account's own language: set by the CLI, the users API, the account itself and the host invitation."""

from __future__ import annotations

import re

from httpx import AsyncClient as Client

from app.auth.services import set_language
from app.auth.tables import StaffUser
from app.i18n import LANGUAGE_COOKIE
from tests.app.test_cli import assert_one_line_error, treffpunkt
from tests.factories import make_account
from tests.visits.helpers import a_site, csrf_token, sign_in

NEW_PASSWORD = "a long new host password"


async def language_of(email: str) -> str | None:
    row = await StaffUser.select(StaffUser.language).where(StaffUser.email == email).first()
    assert row is not None
    return row["language"]


# --- command line --------------------------------------------------------------------------------------------


async def test_create_user_takes_a_language(db: None) -> None:
    created = treffpunkt(
        "create-user", "--email", "hala@example.org", "--role", "coordinator", "--language", "ar", stdin="a long pw 1\n"
    )
    assert created.returncode == 0, created.stderr
    assert await language_of("hala@example.org") == "ar"
    plain = treffpunkt("create-user", "--email", "jan@example.org", "--role", "admin", stdin="a long pw 1\n")
    assert plain.returncode == 0, plain.stderr
    assert await language_of("jan@example.org") is None, "no --language: the project's default"


async def test_create_user_refuses_an_unknown_language_in_one_line(db: None) -> None:
    for code in ("xx", "zz-top", "<b>"):
        result = treffpunkt(
            "create-user", "--email", "x@example.org", "--role", "admin", "--language", code, stdin="a long pw 1\n"
        )
        assert_one_line_error(result, 2, "--language", "de, en, ar")
    assert await StaffUser.count() == 0, "nothing was created"


# --- API -----------------------------------------------------------------------------------------------------


async def test_the_users_api_sets_and_checks_the_language(client: Client) -> None:
    admin = await make_account("admin")
    body = {"email": "tamar@example.org", "role": "coordinator", "password": "a long password", "language": "ti"}
    created = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert await language_of("tamar@example.org") == "ti"

    wrong = await client.post(
        "/api/v1/users", json={**body, "email": "b@example.org", "language": "xx"}, headers=admin.headers
    )
    assert wrong.status_code == 400
    assert wrong.json()["extra"] == {"field": "language"} and "xx" in wrong.json()["detail"]
    assert await StaffUser.count().where(StaffUser.email == "b@example.org") == 0

    user_id = created.json()["id"]
    changed = await client.patch(f"/api/v1/users/{user_id}/language", json={"language": "uk"}, headers=admin.headers)
    assert changed.status_code == 200 and changed.json() == {"language": "uk"}
    assert await language_of("tamar@example.org") == "uk"
    reset = await client.patch(f"/api/v1/users/{user_id}/language", json={"language": None}, headers=admin.headers)
    assert reset.json() == {"language": None} and await language_of("tamar@example.org") is None
    missing = await client.patch("/api/v1/users/9999/language", json={"language": "de"}, headers=admin.headers)
    assert missing.status_code == 404
    coordinator = await make_account("coordinator")
    denied = await client.patch(
        f"/api/v1/users/{user_id}/language", json={"language": "de"}, headers=coordinator.headers
    )
    assert denied.status_code == 403


async def test_everyone_sets_their_own_language_through_the_api(client: Client) -> None:
    host = await make_account("host")
    assert (await client.get("/api/v1/auth/me", headers=host.headers)).json()["language"] is None
    changed = await client.patch("/api/v1/auth/me", json={"language": "ar"}, headers=host.headers)
    assert changed.status_code == 200 and changed.json()["language"] == "ar"
    assert await language_of(host.email) == "ar"
    assert (await client.get("/api/v1/auth/me", headers=host.headers)).json()["language"] == "ar", "at once"
    bad = await client.patch("/api/v1/auth/me", json={"language": "klingon"}, headers=host.headers)
    assert bad.status_code == 400 and bad.json()["extra"] == {"field": "language"}
    assert await language_of(host.email) == "ar"


# --- pages ---------------------------------------------------------------------------------------------------


async def test_the_account_page_saves_the_language_and_switches_the_pages(client: Client) -> None:
    coordinator = await make_account("coordinator")
    await sign_in(client, coordinator.email)
    page = await client.get("/staff/account?lang=en")
    assert 'name="language"' in page.text and "Language of your e-mails" in page.text
    token = await csrf_token(client, "/staff/account")
    saved = await client.post(
        "/staff/account/language",
        data={"language": "ar", "next": "/staff/account", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/staff/account"
    assert saved.cookies.get(LANGUAGE_COOKIE) == "ar"
    assert await language_of(coordinator.email) == "ar"
    again = await client.get("/staff/account")
    assert 'lang="ar" dir="rtl"' in again.text and "لغة رسائلكم الإلكترونية" in again.text
    assert re.search(r'<option value="ar" lang="ar" selected>', again.text)

    tampered = await client.post(
        "/staff/account/language", data={"language": "xx", "_csrf_token": token}, follow_redirects=False
    )
    assert tampered.status_code == 400 and await language_of(coordinator.email) == "ar"
    offsite = await client.post(
        "/staff/account/language",
        data={"language": "", "next": "https://evil.example/", "_csrf_token": token},
        follow_redirects=False,
    )
    assert offsite.headers["location"] == "/staff/account", "no open redirect"
    assert await language_of(coordinator.email) is None, "the empty choice is the project's default again"
    no_csrf = await client.post("/staff/account/language", data={"language": "de"}, follow_redirects=False)
    assert no_csrf.status_code == 403


async def test_a_host_choosing_a_language_in_the_portal_keeps_it_on_the_account(client: Client) -> None:
    site = await a_site(client)
    signed_in = await sign_in(client, site.host.email)
    assert LANGUAGE_COOKIE not in signed_in.cookies, "no language chosen yet: the pages keep theirs"
    portal = await client.get("/host?lang=en")
    picker = re.search(r'<form class="langpicker" method="post" action="/staff/account/language">', portal.text)
    assert picker, "a signed-in host's language picker saves the choice"
    assert "Your e-mails" in portal.text
    token = await csrf_token(client, "/host")
    data = {"language": "ar", "next": "/host", "_csrf_token": token}
    chosen = await client.post("/staff/account/language", data=data, follow_redirects=False)
    assert chosen.headers["location"] == "/host" and await language_of(site.host.email) == "ar"
    assert 'lang="ar"' in (await client.get("/host")).text

    client.cookies.clear()  # a new device: signing in brings the account's language along
    again = await sign_in(client, site.host.email)
    assert again.cookies.get(LANGUAGE_COOKIE) == "ar"

    coordinator = await make_account("coordinator")
    await sign_in(client, coordinator.email)
    staff_page = await client.get("/staff/account")
    assert '<form class="langpicker" method="get"' in staff_page.text, "staff switch pages without saving"


# --- host invitation -----------------------------------------------------------------------------------------


async def invite(client: Client, headers: dict[str, str], employer_id: int, **fields: object) -> str:
    response = await client.post(
        f"/api/v1/employers/{employer_id}/invitations",
        json={"email": "hanna@bakery.example", "name": "Hanna", **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return "/" + str(response.json()["invite_url"]).split("/", 3)[3]


async def accept(client: Client, path: str, **fields: str) -> object:
    token = await csrf_token(client, path)
    data = {"name": "Hanna S.", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "_csrf_token": token}
    return await client.post(path, data={**data, **fields}, follow_redirects=False)


async def test_the_invitation_carries_the_language_the_host_chooses(client: Client) -> None:
    site = await a_site(client)
    path = await invite(client, site.coordinator.headers, site.employer_id, language="ar")
    page = await client.get(path)
    assert '<option value="ar" lang="ar" selected>' in page.text, "the coordinator's choice is preselected"
    answer = await accept(client, path, language="fa")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.cookies.get(LANGUAGE_COOKIE) == "fa"  # type: ignore[attr-defined]
    assert await language_of("hanna@bakery.example") == "fa", "the host's own choice wins"
    assert 'lang="fa" dir="rtl"' in (await client.get("/host")).text


async def test_without_a_choice_the_coordinators_language_is_kept(client: Client) -> None:
    site = await a_site(client)
    path = await invite(client, site.coordinator.headers, site.employer_id, language="uk")
    await accept(client, path)
    assert await language_of("hanna@bakery.example") == "uk"


async def test_an_invitation_with_an_unknown_language_is_refused(client: Client) -> None:
    site = await a_site(client)
    refused = await client.post(
        f"/api/v1/employers/{site.employer_id}/invitations",
        json={"email": "hanna@bakery.example", "language": "xx"},
        headers=site.coordinator.headers,
    )
    assert refused.status_code == 400 and refused.json()["extra"] == {"field": "language"}
    path = await invite(client, site.coordinator.headers, site.employer_id)
    tampered = await accept(client, path, language="xx")
    assert tampered.status_code == 400  # type: ignore[attr-defined]
    assert 'id="invite-error"' in tampered.text  # type: ignore[attr-defined]
    assert await StaffUser.count().where(StaffUser.email == "hanna@bakery.example") == 0
    assert (await accept(client, path, language="de")).status_code == 303  # type: ignore[attr-defined]


async def test_set_language_checks_the_code(db: None) -> None:
    account = await make_account("facilitator")
    assert await set_language(account.id, " ar ") == "ar"
    assert await language_of(account.email) == "ar"
