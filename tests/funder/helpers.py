"""People with funder profiles, built through the real API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response

from scheduling.services.registrations import SignUp, sign_up
from scheduling.tables import Registration
from tests.factories import PASSWORD, Account
from tests.scheduling.factories import create_activity, sessions_of


async def a_group(client: AsyncClient, coordinator: Account, **overrides: Any) -> list[dict[str, Any]]:
    """A weekly small group (default: four past Thursdays in October 2026) and its sessions."""
    body = {"start": "2026-10-01T10:00", "exdates": [], "rrule": "FREQ=WEEKLY;COUNT=4", **overrides}
    activity = await create_activity(client, coordinator.headers, **body)
    return await sessions_of(client, activity["id"], coordinator.headers)


async def a_person(session: dict[str, Any], n: int, name: str | None = None) -> int:
    """A person registered (back then) for a session; returns the participant id."""
    back_then = datetime.fromisoformat(session["starts_at"]) - timedelta(days=1)
    result = await sign_up(
        session["id"],
        SignUp(name=name or f"Person {n}", language="ar", phone=f"+49151{n:08d}", email=None, consent=True),
        now=min(back_then, datetime.now(UTC)),
    )
    row = await Registration.select(Registration.participant).where(Registration.id == result.registration_id).first()
    assert row is not None
    return int(row["participant"])


async def put_profile(client: AsyncClient, account: Account, participant_id: int, **body: Any) -> Response:
    return await client.put(f"/api/v1/participants/{participant_id}/profile", json=body, headers=account.headers)


async def give_consent(
    client: AsyncClient, account: Account, participant_id: int, field: str = "disability"
) -> Response:
    return await client.post(
        f"/api/v1/participants/{participant_id}/profile/consents", json={"field": field}, headers=account.headers
    )


async def sign_in(client: AsyncClient, account: Account) -> None:
    page = await client.get("/staff/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = await client.post(
        "/staff/login",
        data={"email": account.email, "password": PASSWORD, "next": "/staff", "_csrf_token": token.group(1)},
    )
    assert response.status_code in (302, 303), response.text


def csrf_of(page: Response) -> str:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return token.group(1)
