"""Activities built through the real API, for tests."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

THURSDAY_GROUP: dict[str, Any] = {
    "kind": "small_group",
    "title": {"de": "Arbeitsleben in Deutschland", "ar": "الحياة العملية في ألمانيا"},
    "start": "2026-10-01T10:00",
    "duration_minutes": 240,
    "rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=8",
    "exdates": ["2026-10-29"],
    "capacity": 12,
    "languages": ["de", "ar"],
    "venue": {"name": "Nachbarschaftshaus", "address": "Lindenstraße 5, 10969 Berlin", "accessibility": "step-free"},
}


async def create_activity(client: AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {**THURSDAY_GROUP, **overrides}
    response = await client.post("/api/v1/activities", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def sessions_of(
    client: AsyncClient, activity_id: int, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/activities/{activity_id}/sessions", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()
