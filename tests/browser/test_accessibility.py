"""axe-core on every participant, staff and host page: no serious or critical violation (issue 9)."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from playwright.async_api import Page, expect

from scheduling.tables import Registration
from tests.browser.a11y import Audit, crawl
from tests.browser.routes import HOST, PARTICIPANT, STAFF, STAFF_IF_PRESENT, Places, fill
from tests.browser.seed import a_group, in_days, register, sign_in
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of
from tests.visits.helpers import a_site, approve, propose, sign_up


async def _participant_of(registration_id: int) -> int:
    row = await Registration.select(Registration.participant).where(Registration.id == registration_id).first()
    assert row is not None
    return int(row["participant"])


async def _places(client: AsyncClient) -> tuple[Places, dict[str, Any]]:
    group = await a_group(client)
    mine = await register(client, group.session_id, "Nour Al-Sayed", 1)
    await register(client, group.session_id, "Jonas Weber", 2)
    cafe = await create_activity(
        client,
        group.coordinator.headers,
        kind="cafe",
        title={"de": "Begegnungscafé", "en": "Meeting café", "fa": "کافه دیدار"},
        start=in_days(3, hour=16),
        rrule=None,
        exdates=[],
        capacity=None,
        languages=["de", "fa"],
    )
    cafe_session = (await sessions_of(client, cafe["id"]))[0]
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, int(slot["id"]))
    await propose(client, site, starts_at=in_days(21))  # waits for approval on the dashboard
    visitor = await sign_up(client, int(slot["session_id"]), 7, name="Samira Haddad")
    invitation = await client.post(
        f"/api/v1/employers/{site.employer_id}/invitations",
        json={"email": "new.host@bakery.example", "name": "Hanna"},
        headers=site.coordinator.headers,
    )
    assert invitation.status_code == 201, invitation.text
    places = Places(
        activity_id=int(group.activity["id"]),
        session_id=group.session_id,
        participant_id=await _participant_of(int(mine["id"])),
        cafe_session_id=int(cafe_session["id"]),
        token=mine["token"],
        slot_id=int(slot["id"]),
        visit_token=visitor["token"],
        invite_token=invitation.json()["invite_url"].rsplit("/", 1)[1],
    )
    return places, {"host": site.host, "facilitator": group.facilitator}


async def test_participant_pages(client: AsyncClient, contexts: Any, axe_js: str) -> None:
    places, _ = await _places(client)
    page: Page = await (await contexts(javascript=True)).new_page()
    audit = Audit(axe_js)
    for path in fill(PARTICIPANT, places):
        await audit.visit(page, path)

    # The sign-up form sent empty: errors next to the fields.
    for lang in ("en", "ar"):
        await page.goto(f"/s/{places.session_id}?lang={lang}")
        await page.locator("form.stack button[type=submit]").click()
        await expect(page.locator(".field-error").first).to_be_visible()
        await audit.check(page, f"/s/{places.session_id}?lang={lang} (form sent empty)")
    # A failed staff sign-in.
    await page.goto("/staff/login")
    await page.locator("#email").fill("nobody@example.org")
    await page.locator("#password").fill("wrong password")
    await page.locator("form.stack button[type=submit]").click()
    await expect(page.locator("#login-error")).to_be_visible()
    await audit.check(page, "/staff/login (wrong password)")
    # The personal page: a mistake in my details, then cancelled.
    await page.goto(f"/r/{places.token}")
    await page.locator("#d-phone").fill("12")
    await page.locator("#d-phone").press("Enter")
    await expect(page.locator("#d-phone-error")).to_be_visible()
    await audit.check(page, "/r/<token> (details with a mistake)")
    await page.goto(f"/r/{places.token}")
    await page.locator("section.ticket form button[type=submit]").click()
    await expect(page.locator("p.notice")).to_be_visible()
    await audit.check(page, "/r/<token> (cancelled)")
    # A form sent without its CSRF cookie (too old, or from another site): the error page.
    await page.context.clear_cookies()
    await page.locator("#d-name").fill("Nour")
    async with page.expect_navigation() as navigation:
        await page.locator("#d-name").press("Enter")
    assert (await navigation.value).status == 403  # type: ignore[union-attr]
    await audit.check(page, "403 page (form without its CSRF cookie)")
    # Deleting my data leads to the start page, which says so.
    await page.goto(f"/r/{places.token}")
    await page.locator("form[action*=\"/erase\"] button[type=submit]").click()
    await expect(page.locator("p.notice[role=status]")).to_be_visible()
    await audit.check(page, "/?erased=1 (after deleting my data)")
    print(audit.report())
    audit.assert_clean()


async def test_staff_pages(client: AsyncClient, contexts: Any, axe_js: str) -> None:
    places, _ = await _places(client)
    admin = await make_account("admin")
    audit = Audit(axe_js)
    for viewport, person in (({"width": 412, "height": 839}, "Jonas Weber"), ({"width": 1280, "height": 800}, "Nour")):
        page: Page = await (await contexts(javascript=True, viewport=viewport)).new_page()
        await sign_in(page, admin.email)
        if viewport["width"] < 600:
            present = [path for path in fill(STAFF_IF_PRESENT, places) if (await page.request.get(path)).status == 200]
            visited = await crawl(audit, page, fill(STAFF, places) + present, prefixes=("/staff",))
            assert "/staff/account" in visited
        else:  # wide screens: the pages with tables and the door's two-column layout
            await audit.visit(page, "/staff")
        # The door screen with an answer on it, after a check-in by short code.
        await page.goto(f"/staff/sessions/{places.session_id}/door")
        await page.locator("#door-roster li", has_text=person).get_by_role("button").click()
        await expect(page.locator("#door-result .banner")).to_be_visible()
        await audit.check(page, f"/staff/sessions/{places.session_id}/door (after a check-in) {viewport['width']} px")
    print(audit.report())
    audit.assert_clean()


async def test_host_pages(client: AsyncClient, contexts: Any, axe_js: str) -> None:
    places, people = await _places(client)
    audit = Audit(axe_js)
    page: Page = await (await contexts(javascript=True)).new_page()
    await sign_in(page, people["host"].email)
    await crawl(audit, page, fill(HOST, places), prefixes=("/host",))
    print(audit.report())
    audit.assert_clean()


async def test_the_audit_catches_violations(contexts: Any, axe_js: str) -> None:
    """The check can fail: an unlabeled field and grey-on-white text are serious violations."""
    page: Page = await (await contexts(javascript=True)).new_page()
    await page.goto("/does-not-exist")
    await page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend',
             '<input id="bare"><p style="color:#bbb;background:#fff">pale text</p>')"""
    )
    audit = Audit(axe_js)
    await audit.check(page, "broken on purpose")
    assert {finding.rule for finding in audit.failures} >= {"label", "color-contrast"}, audit.report()
