"""Keyboard use and touch targets on the participant pages (issue 9, WCAG 2.1 AA)."""

from __future__ import annotations

import re
from typing import Any

from httpx import AsyncClient
from playwright.async_api import Page, expect

from tests.browser.seed import a_group, sign_in

FOCUS_RING = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0;
  return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim().slice(0, 40),
          ring: outline, shadow: style.boxShadow !== 'none'};
}"""


async def _tab_through(page: Page, limit: int = 40) -> list[dict[str, Any]]:
    """Press Tab until focus leaves the page or comes back round; every stop must show a focus ring."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        stop = await page.evaluate(FOCUS_RING)
        if stop["tag"] == "body" or (stops and stop == stops[0]):
            break
        stops.append(stop)
    return stops


async def test_sign_up_with_the_keyboard_alone(client: AsyncClient, contexts: Any) -> None:
    group = await a_group(client)
    page: Page = await (await contexts(has_touch=False, is_mobile=False)).new_page()
    await page.goto(f"/s/{group.session_id}?lang=en")

    stops = await _tab_through(page)
    assert stops[0]["text"] == "Skip to content", stops[0]
    unringed = [stop for stop in stops if stop["ring"] < 2 and not stop["shadow"]]
    assert not unringed, f"focus is not visible on {unringed}"
    order = [stop["id"] for stop in stops if stop["id"]]
    form_order = [name for name in order if name in ("name", "phone", "email", "language", "consent")]
    assert form_order == ["name", "phone", "email", "language", "consent"], order

    # The skip link is shown when focused and leads past the header.
    await page.goto(f"/s/{group.session_id}?lang=en")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#main$"))

    # Fill and send the form with keys only.
    await page.locator("#name").focus()
    await page.keyboard.type("Amina Haddad")
    await page.keyboard.press("Tab")
    await page.keyboard.type("0151 23456789")
    await page.locator("#consent").focus()
    await page.keyboard.press("Space")
    await expect(page.locator("#consent")).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Sign up")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/r/[A-Za-z0-9_-]{20,}"))


TARGETS = """() => [...document.querySelectorAll(
    'main button, main select, main input:not([type=hidden]), main .button, header button, header select')]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = el.getBoundingClientRect();
    const label = el.labels && el.labels[0] ? el.labels[0].getBoundingClientRect() : null;
    // A checkbox counts with its label, which toggles it too.
    const height = label ? Math.max(box.height, label.height) : box.height;
    return {what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''), width: box.width, height};
  })"""


async def test_touch_targets_are_large(client: AsyncClient, phone: Page) -> None:
    group = await a_group(client)
    registration = await client.post(
        f"/api/v1/sessions/{group.session_id}/registrations",
        json={"name": "Amina", "phone": "+4915123456789", "language": "ar", "consent": True},
    )
    token = registration.json()["token"]
    small = []
    for path in ("/", f"/s/{group.session_id}", f"/r/{token}"):
        await phone.goto(path)
        for target in await phone.evaluate(TARGETS):
            if target["height"] < 44 or target["width"] < 24:
                small.append(f"{path}: {target}")
    assert not small, "\n".join(small)


async def test_focus_is_visible_everywhere(client: AsyncClient, contexts: Any) -> None:
    """Every stop of the Tab key shows a focus ring, on the participant pages, sign-in and the door."""
    group = await a_group(client)
    registration = await client.post(
        f"/api/v1/sessions/{group.session_id}/registrations",
        json={"name": "Amina", "phone": "+4915123456789", "language": "ar", "consent": True},
    )
    token = registration.json()["token"]
    page: Page = await (await contexts(javascript=True, has_touch=False, is_mobile=False)).new_page()
    unringed: list[str] = []
    paths = ["/", f"/s/{group.session_id}?lang=ar", f"/r/{token}", "/staff/login", "/does-not-exist"]
    for path in paths:
        await page.goto(path)
        stops = await _tab_through(page, limit=60)
        assert len(stops) >= 3, f"{path}: only {stops} take the focus"
        unringed += [f"{path}: {stop}" for stop in stops if stop["ring"] < 2 and not stop["shadow"]]
    await sign_in(page, group.facilitator.email)
    await page.goto(f"/staff/sessions/{group.session_id}/door")
    stops = await _tab_through(page, limit=60)
    unringed += [f"door: {stop}" for stop in stops if stop["ring"] < 2 and not stop["shadow"]]
    assert not unringed, "\n".join(unringed)
