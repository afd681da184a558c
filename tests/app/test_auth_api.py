from httpx import AsyncClient as Client

from tests.factories import make_account


async def test_token_from_the_services_authenticates(client: Client) -> None:
    account = await make_account("coordinator")
    response = await client.get("/api/v1/auth/me", headers=account.headers)
    assert response.status_code == 200
    assert response.json()["role"] == "coordinator"
    assert response.json()["email"] == account.email


async def test_no_token_is_401(client: Client) -> None:
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["detail"]


async def test_made_up_token_is_401_even_on_public_routes(client: Client) -> None:
    for path in ("/api/v1/auth/me", "/health"):
        response = await client.get(path, headers={"Authorization": "Bearer tp_made_up_token"})
        assert response.status_code == 401, path
        assert response.json()["status_code"] == 401


async def test_wrong_scheme_is_401(client: Client) -> None:
    account = await make_account("admin")
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Basic {account.token}"})
    assert response.status_code == 401


async def test_admin_only_endpoint_refuses_coordinator_with_403(client: Client) -> None:
    coordinator = await make_account("coordinator")
    body = {"email": "new@example.org", "role": "facilitator", "password": "long enough password"}
    response = await client.post("/api/v1/users", json=body, headers=coordinator.headers)
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


async def test_admin_creates_user_and_duplicate_is_409(client: Client) -> None:
    admin = await make_account("admin")
    body = {"email": "New@Example.org", "role": "facilitator", "password": "long enough password"}
    created = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert created.status_code == 201
    again = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert again.status_code == 409
    assert "new@example.org" in again.json()["detail"]


async def test_bad_user_body_is_400_with_the_field(client: Client) -> None:
    admin = await make_account("admin")
    response = await client.post(
        "/api/v1/users",
        json={"email": "x@example.org", "role": "pilot", "password": "long enough password"},
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert "role" in str(response.json())


async def test_host_user_needs_employer(client: Client) -> None:
    admin = await make_account("admin")
    response = await client.post(
        "/api/v1/users",
        json={"email": "h@example.org", "role": "host", "password": "long enough password"},
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "employer"}


async def test_revoked_token_stops_working_at_once(client: Client) -> None:
    account = await make_account("facilitator")
    listed = await client.get("/api/v1/auth/tokens", headers=account.headers)
    token_id = listed.json()[0]["id"]
    assert "token" not in listed.json()[0] and "token_hash" not in listed.json()[0]
    revoked = await client.delete(f"/api/v1/auth/tokens/{token_id}", headers=account.headers)
    assert revoked.status_code == 204
    after = await client.get("/api/v1/auth/me", headers=account.headers)
    assert after.status_code == 401


async def test_cannot_revoke_someone_elses_token(client: Client) -> None:
    owner = await make_account("coordinator")
    other = await make_account("facilitator")
    token_id = (await client.get("/api/v1/auth/tokens", headers=owner.headers)).json()[0]["id"]
    response = await client.delete(f"/api/v1/auth/tokens/{token_id}", headers=other.headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/auth/me", headers=owner.headers)).status_code == 200


async def test_new_token_is_shown_once_and_works(client: Client) -> None:
    account = await make_account("coordinator")
    created = await client.post("/api/v1/auth/tokens", json={"name": "laptop"}, headers=account.headers)
    assert created.status_code == 201
    token = created.json()["token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


async def test_health_reports_database_and_redis(client: Client, database_kind: str) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "kind": database_kind}
    assert body["redis"]["ok"] is True
    assert body["status"] == "ok"


async def test_openapi_schema_is_served(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/auth/me" in response.json()["paths"]


async def test_using_a_token_records_when_it_was_last_used(client: Client) -> None:
    from datetime import UTC, datetime, timedelta

    from app.auth.services import forget_cached_tokens
    from app.auth.tables import ApiToken

    account = await make_account("coordinator")
    assert (await client.get("/api/v1/auth/me", headers=account.headers)).status_code == 200
    listed = (await client.get("/api/v1/auth/tokens", headers=account.headers)).json()
    first = datetime.fromisoformat(listed[0]["last_used_at"])
    assert datetime.now(UTC) - first < timedelta(minutes=1)
    # An hour later the next use moves it on; a second use within minutes does not write again.
    await ApiToken.update({ApiToken.last_used_at: first - timedelta(hours=1)}).where(ApiToken.id == listed[0]["id"])
    forget_cached_tokens()  # as if the few seconds a process remembers a token had passed
    assert (await client.get("/api/v1/auth/me", headers=account.headers)).status_code == 200
    again = (await client.get("/api/v1/auth/tokens", headers=account.headers)).json()
    assert datetime.fromisoformat(again[0]["last_used_at"]) >= first
