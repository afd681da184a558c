"""The sign-up page on a slow phone: errors tied to their fields, size on the wire, 200 % zoom (issue 9)."""

from __future__ import annotations

import re
from typing import Any

from httpx import AsyncClient
from playwright.async_api import Page, Request, expect

from app.i18n import translations
from app.signup_form import FIELD_MESSAGES
from tests.browser.seed import a_group

FIELDS_IN_ORDER = ("name", "phone", "email", "language", "consent")


def said(lang: str, key: str) -> str:
    return translations(lang).gettext(FIELD_MESSAGES[key])


async def _submit(phone: Page) -> None:
    async with phone.expect_navigation() as navigation:
        await phone.locator("form.stack button[type=submit]").click()
    response = await navigation.value
    assert response is not None and response.status == 400


async def _marked(phone: Page) -> dict[str, str]:
    """field id → the text of the error its ``aria-describedby`` points to, for every aria-invalid field."""
    found: dict[str, str] = await phone.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('form.stack [aria-invalid="true"]')].map(el => {
             const texts = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
               .map(id => document.getElementById(id)).filter(node => node && node.classList.contains('field-error'))
               .map(node => node.textContent.trim());
             return [el.id, texts.join(' | ')];
           }))"""
    )
    return found


async def _next_to_field(phone: Page, field: str) -> None:
    """The error is in the same field block as its input, after it, and visible."""
    error = phone.locator(f"#{field}-error")
    await expect(error).to_be_visible()
    same_block = await error.evaluate(
        "(node, id) => node.closest('.field, .consent') === document.getElementById(id).closest('.field, .consent')",
        field,
    )
    assert same_block, f"the error of {field} is not next to it"


async def test_empty_form_marks_every_field_in_the_persons_language(client: AsyncClient, phone: Page) -> None:
    group = await a_group(client)
    for lang in ("en", "ar", "de"):
        await phone.goto(f"/s/{group.session_id}?lang={lang}")
        await _submit(phone)
        assert await _marked(phone) == {
            "name": said(lang, "name"),
            "phone": said(lang, "phone_missing"),
            "consent": said(lang, "consent"),
        }
        for field in ("name", "phone", "consent"):
            await _next_to_field(phone, field)
        # Without JavaScript the browser puts the focus on the first marked field.
        assert await phone.evaluate("() => document.activeElement.id") == "name"
        summary = phone.locator(".error-summary[role=alert]")
        await expect(summary.get_by_role("link")).to_have_count(3)
        await expect(summary.get_by_role("link").first).to_have_attribute("href", "#name")
        assert (await phone.title()).startswith(translations(lang).gettext("Please check the marked fields."))
    roster = await client.get(f"/api/v1/sessions/{group.session_id}/registrations", headers=group.coordinator.headers)
    assert roster.json() == []


async def test_a_failed_form_keeps_what_was_typed(client: AsyncClient, phone: Page) -> None:
    group = await a_group(client)
    await phone.goto(f"/s/{group.session_id}?lang=ar")
    await phone.locator("#name").fill("أمينة حداد")
    await phone.locator("#phone").fill("12")
    await phone.locator("#email").fill("amina@example")
    await phone.locator("#language").select_option("fa")
    await _submit(phone)

    assert await _marked(phone) == {
        "phone": said("ar", "phone"),
        "email": said("ar", "email"),
        "consent": said("ar", "consent"),
    }
    await expect(phone.locator("#name")).to_have_value("أمينة حداد")
    await expect(phone.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    await expect(phone.locator("#phone")).to_have_value("12")
    await expect(phone.locator("#email")).to_have_value("amina@example")
    await expect(phone.locator("#language")).to_have_value("fa")
    assert await phone.evaluate("() => document.activeElement.id") == "phone"
    # The hint stays tied to the phone field next to its error.
    described_by = (await phone.locator("#phone").get_attribute("aria-describedby") or "").split()
    assert described_by == ["phone-hint", "phone-error"]

    # Fixing the fields signs up, with what was kept.
    await phone.locator("#phone").fill("0151 23456789")
    await phone.locator("#email").fill("")
    await phone.locator("#consent").check()
    await phone.locator("form.stack button[type=submit]").click()
    await expect(phone).to_have_url(re.compile(r"/r/[A-Za-z0-9_-]{20,}"))
    rows: list[dict[str, Any]] = (
        await client.get(f"/api/v1/sessions/{group.session_id}/registrations", headers=group.coordinator.headers)
    ).json()
    assert [(row["status"], row["language"]) for row in rows] == [("confirmed", "fa")]


async def test_sign_up_page_is_under_50_kb_on_the_wire(client: AsyncClient, contexts: Any) -> None:
    """Everything the browser fetches for /s/{id} (document, stylesheet, icons, any script), headers included."""
    group = await a_group(client)
    for javascript in (False, True):
        context = await contexts(javascript=javascript)
        page = await context.new_page()
        requests: list[Request] = []
        page.on("requestfinished", lambda request, seen=requests: seen.append(request))
        await page.goto(f"/s/{group.session_id}?lang=ar", wait_until="networkidle")
        sizes = {request.url: await request.sizes() for request in requests}
        total = sum(size["responseBodySize"] + size["responseHeadersSize"] for size in sizes.values())
        assert any(url.endswith("/static/app.css") for url in sizes), sizes
        assert total < 50 * 1024, f"{total} bytes: {sizes}"


async def test_readable_at_200_percent_zoom(client: AsyncClient, contexts: Any) -> None:
    """200 % zoom on a 412 px phone is a 206 CSS px wide layout: nothing may scroll sideways."""
    group = await a_group(client)
    registration = await client.post(
        f"/api/v1/sessions/{group.session_id}/registrations",
        json={"name": "Amina", "phone": "+4915123456789", "language": "ar", "consent": True},
    )
    token = registration.json()["token"]
    context = await contexts(viewport={"width": 206, "height": 420}, device_scale_factor=5.25)
    page = await context.new_page()
    too_wide = []
    for lang in ("en", "ar", "de"):
        for path in ("/", f"/s/{group.session_id}", f"/r/{token}", "/staff/login"):
            await page.goto(f"{path}?lang={lang}")
            widths = await page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if widths[0] > widths[1]:
                culprits = await page.evaluate(
                    """() => [...document.querySelectorAll('body *')].filter(el => {
                         const box = el.getBoundingClientRect();
                         return box.right > document.documentElement.clientWidth + 1 || box.left < -1;
                       }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                         + (el.className ? '.' + String(el.className).split(' ').join('.') : ''))"""
                )
                too_wide.append(f"{path}?lang={lang}: {widths[0]} > {widths[1]} px ({', '.join(culprits)})")
    assert not too_wide, "\n".join(too_wide)


async def test_my_details_keep_what_was_typed_and_mark_the_field(client: AsyncClient, phone: Page) -> None:
    group = await a_group(client)
    registration = await client.post(
        f"/api/v1/sessions/{group.session_id}/registrations",
        json={"name": "Amina", "phone": "+4915123456789", "language": "ar", "consent": True},
    )
    token = registration.json()["token"]
    await phone.goto(f"/r/{token}?lang=ar")
    await phone.locator("#d-name").fill("Amina Haddad")
    await phone.locator("#d-phone").fill("12")
    async with phone.expect_navigation() as navigation:
        await phone.locator("#d-phone").press("Enter")
    assert (await navigation.value).status == 400  # type: ignore[union-attr]

    await expect(phone.locator("#d-name")).to_have_value("Amina Haddad")
    await expect(phone.locator("#d-phone")).to_have_value("12")
    await expect(phone.locator("#d-phone")).to_have_attribute("aria-invalid", "true")
    await expect(phone.locator("#d-phone")).to_have_attribute("aria-describedby", "d-phone-error")
    await expect(phone.locator("#d-phone-error")).to_have_text(said("ar", "phone"))
    same_block = await phone.locator("#d-phone-error").evaluate(
        "node => node.closest('.field') === document.getElementById('d-phone').closest('.field')"
    )
    assert same_block
    assert await phone.evaluate("() => document.activeElement.id") == "d-phone"
    me = await client.get(f"/api/v1/registrations/{token}")
    assert me.status_code == 200 and "Amina Haddad" not in me.text  # nothing half-saved
