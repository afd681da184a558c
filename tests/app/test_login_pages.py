import re

from httpx import AsyncClient as Client

from tests.factories import PASSWORD, make_account


async def _csrf(client: Client, path: str = "/staff/login") -> str:
    page = await client.get(path)
    assert page.status_code == 200
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF field"
    return match.group(1)


async def _login(client: Client, email: str, password: str, next_path: str = "/staff") -> object:
    token = await _csrf(client)
    return await client.post(
        "/staff/login",
        data={"email": email, "password": password, "next": next_path, "_csrf_token": token},
        follow_redirects=False,
    )


async def test_login_page_sets_lang_and_dir(client: Client) -> None:
    page = await client.get("/staff/login?lang=ar")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert page.cookies.get("tp_lang") == "ar"
    german = await client.get("/staff/login?lang=de")
    assert '<html lang="de" dir="ltr">' in german.text


async def test_right_password_signs_in_with_a_secure_session_cookie(client: Client) -> None:
    account = await make_account("coordinator")
    response = await _login(client, account.email, PASSWORD)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"]
    assert "tp_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    home = await client.get("/staff")
    assert home.status_code == 200
    assert "coordinator" in home.text


async def test_wrong_password_shows_the_form_again_with_an_error(client: Client) -> None:
    account = await make_account("coordinator")
    response = await _login(client, account.email, "not the password")
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert (await client.get("/staff", follow_redirects=False)).status_code in (302, 303)


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client: Client) -> None:
    response = await _login(client, "nobody@example.org", "whatever password")
    assert response.status_code == 401


async def test_repeated_failures_are_rate_limited(client: Client) -> None:
    account = await make_account("coordinator")
    statuses = [(await _login(client, account.email, f"wrong {i}")).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # even the right password waits until the period is over
    blocked = await _login(client, account.email, PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


async def test_form_post_without_csrf_token_is_rejected(client: Client) -> None:
    account = await make_account("coordinator")
    await client.get("/staff/login")
    response = await client.post(
        "/staff/login", data={"email": account.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "tp_session" not in response.headers.get("set-cookie", "")


async def test_form_post_with_a_forged_csrf_token_is_rejected(client: Client) -> None:
    account = await make_account("coordinator")
    await client.get("/staff/login")
    response = await client.post(
        "/staff/login",
        data={"email": account.email, "password": PASSWORD, "_csrf_token": "0" * 128},
        follow_redirects=False,
    )
    assert response.status_code == 403


async def test_staff_page_redirects_to_login_when_signed_out(client: Client) -> None:
    response = await client.get("/staff", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/staff/login")


async def test_host_may_not_open_the_staff_workspace(client: Client) -> None:
    host = await make_account("host")
    await _login(client, host.email, PASSWORD)
    response = await client.get("/staff", headers={"accept": "text/html"})
    assert response.status_code == 403


async def test_login_does_not_redirect_off_site(client: Client) -> None:
    account = await make_account("coordinator")
    response = await _login(client, account.email, PASSWORD, next_path="//evil.example/")
    assert response.headers["location"] == "/staff"


async def test_logout_ends_the_session(client: Client) -> None:
    account = await make_account("coordinator")
    await _login(client, account.email, PASSWORD)
    token = await _csrf(client, "/staff/account")
    response = await client.post("/staff/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code in (302, 303)
    assert (await client.get("/staff", follow_redirects=False)).status_code in (302, 303)


async def test_account_page_creates_and_revokes_tokens(client: Client) -> None:
    account = await make_account("facilitator")
    await _login(client, account.email, PASSWORD)
    token = await _csrf(client, "/staff/account")
    created = await client.post("/staff/account/tokens", data={"name": "door phone", "_csrf_token": token})
    assert created.status_code == 201
    new_token = re.search(r'<code class="secret">([^<]+)</code>', created.text)
    assert new_token
    headers = {"Authorization": f"Bearer {new_token.group(1)}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200


async def test_the_dashboard_shows_todays_sessions_and_counts(client: Client) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from tests.scheduling.factories import create_activity

    account = await make_account("coordinator")
    soon = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Berlin"))
    if soon.date() != datetime.now(ZoneInfo("Europe/Berlin")).date() or soon.hour >= 23:
        soon = soon - timedelta(hours=3)
    await create_activity(
        client,
        account.headers,
        start=soon.strftime("%Y-%m-%dT%H:%M"),
        rrule=None,
        exdates=[],
        title={"de": "Heute im Haus"},
    )
    await _login(client, account.email, PASSWORD)
    page = await client.get("/staff?lang=de")
    assert page.status_code == 200
    assert "Heute im Haus" in page.text and "/door" in page.text
