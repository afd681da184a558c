"""Odd input the fuzzer found once: each is a clear 4xx now, never a 500."""

from __future__ import annotations

from httpx import AsyncClient as Client

from tests.factories import make_account

HUGE = 2**70


async def test_an_id_too_large_for_the_database_is_a_400(client: Client) -> None:
    admin = await make_account("admin")
    for method, path, body in (
        ("GET", f"/api/v1/activities/{HUGE}", None),
        ("PATCH", f"/api/v1/slots/{HUGE}", {}),
        ("POST", f"/api/v1/staff/registrations/{HUGE}/move", {"session_id": 1}),
    ):
        response = await client.request(method, path, json=body, headers=admin.headers)
        assert response.status_code in (400, 404), (path, response.text)
        assert "too large" in response.json()["detail"] or response.status_code == 404


async def test_an_id_too_large_on_a_page_is_an_error_page(client: Client) -> None:
    response = await client.get(f"/s/{HUGE}")
    assert response.status_code in (400, 404)
    assert "text/html" in response.headers["content-type"]


async def test_head_count_for_a_session_that_does_not_exist_is_a_404(client: Client) -> None:
    admin = await make_account("admin")
    response = await client.post("/api/v1/sessions/77/anonymous-walk-ins", json={"delta": 1}, headers=admin.headers)
    assert response.status_code == 404, response.text
    assert "no session" in response.json()["detail"].lower()
