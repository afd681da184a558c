"""The participant flow on a cheap phone with JavaScript off (issue 9): find, sign up, QR code, cancel."""

from __future__ import annotations

import re
from typing import Any

from httpx import AsyncClient
from playwright.async_api import Page, expect

from tests.browser.seed import a_group

TOKEN_URL = re.compile(r"/r/[A-Za-z0-9_-]{20,}(\?.*)?$")


async def _find_and_open(phone: Page, lang: str, title: str) -> None:
    await phone.goto(f"/?lang={lang}")
    await phone.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    await expect(phone).to_have_url(re.compile(r"/s/\d+"))
    await expect(phone.get_by_role("heading", level=1)).to_contain_text(title)


async def _qr_is_shown(phone: Page) -> None:
    qr = phone.locator("figure.qr img")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR image did not load"
    box = await qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["height"] >= 150
    image = await phone.request.get(await qr.get_attribute("src") or "")
    assert image.status == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert (await phone.locator(".short-code").inner_text()).strip()


async def test_sign_up_and_cancel_without_javascript(client: AsyncClient, phone: Page) -> None:
    group = await a_group(client)
    await _find_and_open(phone, "en", "Working life in Germany")

    await phone.get_by_label("Your name").fill("Amina Haddad")
    await phone.get_by_label("Mobile phone number").fill("0151 23456789")
    await phone.get_by_label("I agree").check()
    await phone.get_by_role("button", name="Sign up").click()

    await expect(phone).to_have_url(TOKEN_URL)
    await expect(phone.get_by_role("heading", level=1)).to_have_text("My registration")
    await expect(phone.get_by_text("You have a place.")).to_be_visible()
    await _qr_is_shown(phone)

    await phone.get_by_role("button", name=re.compile("cancel my place")).click()
    await expect(phone.get_by_role("status")).to_contain_text("Your place is cancelled")
    await expect(phone.locator("figure.qr")).to_have_count(0)
    roster = await client.get(f"/api/v1/sessions/{group.session_id}/registrations", headers=group.coordinator.headers)
    assert [row["status"] for row in roster.json()] == ["cancelled"]


async def test_sign_up_and_cancel_in_arabic(client: AsyncClient, phone: Page) -> None:
    group = await a_group(client)
    await _find_and_open(phone, "ar", "الحياة العملية في ألمانيا")
    html = phone.locator("html")
    await expect(html).to_have_attribute("lang", "ar")
    await expect(html).to_have_attribute("dir", "rtl")

    await phone.get_by_label("اسمك").fill("أمينة حداد")
    await phone.locator("#phone").fill("0151 23456789")
    await phone.locator("#consent").check()
    await phone.locator("form.stack button[type=submit]").click()

    await expect(phone).to_have_url(TOKEN_URL)
    await expect(html).to_have_attribute("dir", "rtl")
    await expect(html).to_have_attribute("lang", "ar")
    await _qr_is_shown(phone)
    # Right-to-left for real: the page's text starts at the right edge.
    assert await phone.locator("h1").evaluate("h => getComputedStyle(h).direction") == "rtl"
    brand = await phone.locator("a.brand").bounding_box()
    assert brand is not None and brand["x"] + brand["width"] > 412 - 40, f"the header starts on the left: {brand}"

    await phone.locator("section.ticket form button[type=submit]").click()
    await expect(html).to_have_attribute("dir", "rtl")
    await expect(phone.locator("p.notice[role=status]")).to_be_visible()
    roster = await client.get(f"/api/v1/sessions/{group.session_id}/registrations", headers=group.coordinator.headers)
    rows: list[dict[str, Any]] = roster.json()
    assert [(row["status"], row["language"]) for row in rows] == [("cancelled", "ar")]
