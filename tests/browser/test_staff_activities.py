"""Issue 9, done when: a coordinator creates a weekly series with the recurrence builder and sees its
sessions, all in the browser (a phone, JavaScript off: every step is a form post)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from httpx import AsyncClient
from playwright.async_api import Page, expect

from scheduling import services
from tests.browser.seed import sign_in
from tests.factories import make_account

BERLIN = ZoneInfo("Europe/Berlin")


def next_weekday(weekday: int, after: date) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


async def test_a_coordinator_creates_a_weekly_series_with_the_builder_and_sees_its_sessions(
    client: AsyncClient, contexts: Any
) -> None:
    coordinator = await make_account("coordinator")
    page: Page = await (await contexts()).new_page()
    await sign_in(page, coordinator.email)
    today = datetime.now(UTC).astimezone(BERLIN).date()
    first = next_weekday(3, today + timedelta(days=7))  # a Thursday at least a week ahead
    last = first + timedelta(weeks=5)
    skipped = first + timedelta(weeks=2)

    # From the dashboard to the form.
    await page.goto("/staff?lang=en")
    await page.get_by_role("link", name="Activities and their dates").click()
    await page.get_by_role("link", name="New activity").click()
    await expect(page.get_by_role("heading", name="New activity")).to_be_visible()

    await page.get_by_label("Kind").select_option("small_group")
    await page.get_by_label("Title (Deutsch)").fill("Arbeitsleben in Deutschland")
    await page.get_by_label("Place", exact=True).fill("Nachbarschaftshaus")
    await page.get_by_label("Number of places").fill("12")
    await page.get_by_label("العربية", exact=True).check()
    await page.get_by_label("First date").fill(first.isoformat())
    await page.get_by_label("From", exact=True).fill("10:00")
    await page.get_by_label("To", exact=True).fill("14:00")
    await page.get_by_label("Every week or every few weeks").check()
    await page.get_by_label("Thursday").check()
    await page.get_by_label("Until a date").check()
    await page.get_by_label("Last date").fill(last.isoformat())
    await page.get_by_label("Skipped dates").fill(skipped.isoformat())

    # Preview first: the rule in words and the next dates, nothing saved yet.
    await page.get_by_role("button", name="Show the dates").click()
    words = page.get_by_test_id("rule-words")
    await expect(words).to_contain_text("every Thursday")
    await expect(words).to_contain_text("10:00")
    await expect(words).to_contain_text("not on")
    await expect(page.locator(".preview-dates li")).to_have_count(5)
    await expect(page.get_by_text("5 sessions in all.")).to_be_visible()
    assert await services.list_activities(services.ActivityFilter(include_unpublished=True)) == []
    await expect(page.get_by_label("Title (Deutsch)")).to_have_value("Arbeitsleben in Deutschland")

    # A mistake is shown next to its field and the rest is kept.
    await page.get_by_label("Thursday").uncheck()
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#weekdays-error")).to_have_text("Tick at least one weekday.")
    await expect(page.get_by_label("Place", exact=True)).to_have_value("Nachbarschaftshaus")
    await page.get_by_label("Thursday").check()
    await page.get_by_role("button", name="Save").click()

    # The activity page with its sessions.
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await expect(page.get_by_role("heading", name="Arbeitsleben in Deutschland")).to_be_visible()
    rows = page.locator("tr[data-session]")
    await expect(rows).to_have_count(5)
    await expect(rows.first).to_contain_text("10:00")
    activities = await services.list_activities(services.ActivityFilter(include_unpublished=True))
    assert len(activities) == 1
    sessions = await services.list_activity_sessions(activities[0].id)
    local_days = [s.starts_at.astimezone(BERLIN).date() for s in sessions]
    assert local_days == [first + timedelta(weeks=n) for n in (0, 1, 3, 4, 5)]

    # One session's roster opens from there, with the link to the door.
    await rows.first.get_by_role("link", name="List of people").click()
    await expect(page.get_by_role("heading", name="Confirmed")).to_be_visible()
    await expect(page.get_by_role("link", name="Door screen (check-in)")).to_be_visible()
