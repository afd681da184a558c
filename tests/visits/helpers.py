"""An employer with its hosts, slots proposed through the real API, and people signed up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response

from tests.factories import PASSWORD, Account, make_account


@dataclass(frozen=True)
class Site:
    """An employer, one of its hosts, a host of another employer and a coordinator."""

    employer_id: int
    other_employer_id: int
    host: Account
    other_host: Account
    coordinator: Account


def in_days(days: int = 14, hour: int = 10) -> str:
    """A local start ``days`` from now, e.g. ``2026-12-08T10:00``."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime(f"%Y-%m-%dT{hour:02d}:00")


async def make_employer(client: AsyncClient, coordinator: Account, name: str, **fields: Any) -> int:
    body = {"name": name, "address": "Backstraße 3, 10115 Berlin", "contact_phone": "+4930123456", **fields}
    response = await client.post("/api/v1/employers", json=body, headers=coordinator.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def a_site(client: AsyncClient) -> Site:
    coordinator = await make_account("coordinator")
    bakery = await make_employer(client, coordinator, "Bäckerei Sonnenkorn", site_languages=["de", "ar"])
    care = await make_employer(client, coordinator, "Pflegedienst Lindenhof")
    host = await make_account("host", employer_id=bakery)
    other_host = await make_account("host", employer_id=care)
    return Site(bakery, care, host, other_host, coordinator)


async def propose(client: AsyncClient, site: Site, **overrides: Any) -> dict[str, Any]:
    body = {
        "starts_at": in_days(),
        "duration_minutes": 90,
        "capacity": 3,
        "languages": ["de", "ar"],
        "notes": "Backstube, Ofen, Verkauf; bitte feste Schuhe.",
        "meeting_point": "Hintereingang, Hof",
        **overrides,
    }
    response = await client.post(f"/api/v1/employers/{site.employer_id}/slots", json=body, headers=site.host.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def approve(client: AsyncClient, site: Site, slot_id: int) -> dict[str, Any]:
    response = await client.post(f"/api/v1/slots/{slot_id}/approve", headers=site.coordinator.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def sign_up(client: AsyncClient, session_id: int, n: int, name: str | None = None) -> dict[str, Any]:
    body = {
        "name": name or f"Person Nummer{n}",
        "phone": f"+49151{n:08d}",
        "email": f"person{n}@example.org",
        "language": "ar",
        "consent": True,
    }
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def csrf_token(client: AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, "the page carries a CSRF field"
    return match.group(1)


async def sign_in(client: AsyncClient, email: str, password: str = PASSWORD, next_path: str = "/staff") -> Response:
    token = await csrf_token(client, "/staff/login")
    return await client.post(
        "/staff/login",
        data={"email": email, "password": password, "next": next_path, "_csrf_token": token},
        follow_redirects=False,
    )
