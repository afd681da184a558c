"""The door screen on a phone (issue 8): type a short code, again, search a name and tap; counts follow.

Run with door.js (answers in place) and without JavaScript (every form posts and the page
comes back with the answer).
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from playwright.async_api import Page, expect

from checkin.tables import Attendance
from tests.browser.seed import a_group, register, sign_in
from tests.checkin.helpers import typed


async def _counts(page: Page) -> dict[str, int]:
    values = {}
    for key in ("expected", "checked_in", "walk_ins"):
        values[key] = int(await page.locator(f'.door-counts [data-count="{key}"]').inner_text())
    return values


async def _answer(page: Page, result: str, tone: str) -> None:
    banner = page.locator("#door-result .banner")
    await expect(banner).to_have_attribute("data-result", result)
    await expect(banner).to_have_class(f"banner banner-{tone}")
    # Large and unmistakable: a wide coloured block with big type, read out by screen readers.
    box = await banner.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 80, box
    title_size = await banner.locator(".banner-title").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert title_size >= 24, title_size
    await expect(page.locator("#door-result")).to_have_attribute("role", "status")


@pytest.mark.parametrize("javascript", [True, False], ids=["door.js", "no-javascript"])
async def test_door_screen_on_a_phone(client: AsyncClient, contexts: Any, javascript: bool) -> None:
    group = await a_group(client)
    amina = await register(client, group.session_id, "Amina Haddad", 1)
    jonas = await register(client, group.session_id, "Jonas Weber", 2)
    await register(client, group.session_id, "Nour Al-Sayed", 3)
    page: Page = await (await contexts(javascript=javascript)).new_page()
    await sign_in(page, group.facilitator.email)
    await page.goto(f"/staff/sessions/{group.session_id}/door?lang=en")
    assert await page.evaluate("() => innerWidth") == 412
    assert await _counts(page) == {"expected": 3, "checked_in": 0, "walk_ins": 0}

    # A typed short code: ok, then the same code again: already.
    code = typed(int(amina["id"]))
    for result, tone, checked_in in (("ok", "ok", 1), ("already", "warn", 1)):
        await page.get_by_label("Code", exact=True).fill(code.lower())
        await page.get_by_role("button", name="Check in", exact=True).first.click()
        await _answer(page, result, tone)
        await expect(page.locator('.door-counts [data-count="checked_in"]')).to_have_text(str(checked_in))
    await expect(page.locator("#door-result .banner-detail")).to_contain_text("Amina Haddad")
    if javascript:  # the field is emptied and keeps the focus for the next code
        await expect(page.get_by_label("Code", exact=True)).to_be_focused()
        await expect(page.get_by_label("Code", exact=True)).to_have_value("")

    # Search the roster by name and tap the person.
    await page.get_by_label("Search by name").fill("jonas")
    if not javascript:
        await page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("#door-roster li[data-id]:visible")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Jonas Weber")
    await page.get_by_role("button", name="Check in Jonas Weber").click()
    await _answer(page, "ok", "ok")
    await expect(page.locator(f'#door-roster li[data-id="{jonas["id"]}"]')).to_have_class("in")
    await expect(page.locator(f'#door-roster li[data-id="{jonas["id"]}"] .door-state')).to_be_visible()
    await expect(page.locator('.door-counts [data-count="checked_in"]')).to_have_text("2")
    await expect(page.locator('.door-counts [data-count="expected"]')).to_have_text("3")

    # What the server recorded: one attendance row each, no more.
    for person, rows_expected in ((amina, 1), (jonas, 1)):
        assert await Attendance.count().where(Attendance.registration == int(person["id"])) == rows_expected

    # A fresh load shows the same state.
    await page.goto(f"/staff/sessions/{group.session_id}/door?lang=en")
    assert await _counts(page) == {"expected": 3, "checked_in": 2, "walk_ins": 0}
