"""Rows for the browser tests, written through the real API (in this process, same database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from playwright.async_api import Page, expect

from tests.factories import PASSWORD, Account, make_account
from tests.scheduling.factories import create_activity, sessions_of

GROUP_TITLE = {"de": "Arbeitsleben in Deutschland", "en": "Working life in Germany", "ar": "الحياة العملية في ألمانيا"}


def in_days(days: int, hour: int = 10) -> str:
    """A local start ``days`` from now, e.g. ``2026-12-08T10:00``."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime(f"%Y-%m-%dT{hour:02d}:00")


@dataclass(frozen=True)
class Group:
    """A weekly group starting in two days, with its coordinator and an assigned facilitator."""

    coordinator: Account
    facilitator: Account
    activity: dict[str, Any]
    sessions: list[dict[str, Any]]

    @property
    def session_id(self) -> int:
        return int(self.sessions[0]["id"])


async def a_group(client: AsyncClient, **overrides: Any) -> Group:
    coordinator = await make_account("coordinator")
    facilitator = await make_account("facilitator")
    body = {
        "title": GROUP_TITLE,
        "start": in_days(2),
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "exdates": [],
        "facilitator_ids": [facilitator.id],
        **overrides,
    }
    activity = await create_activity(client, coordinator.headers, **body)
    return Group(coordinator, facilitator, activity, await sessions_of(client, activity["id"]))


async def register(client: AsyncClient, session_id: int, name: str, n: int) -> dict[str, Any]:
    body = {"name": name, "phone": f"+49151{n:08d}", "language": "de", "consent": True}
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in at /staff/login through the form (works with JavaScript on or off)."""
    await page.goto("/staff/login?lang=en")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
