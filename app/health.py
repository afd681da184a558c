"""``GET /health``: can this process reach its database and Redis?"""

from __future__ import annotations

import os

from litestar import Controller, Response, get
from msgspec import Struct

from app import database
from app.redis_client import redis_ok
from app.settings import get_settings


class ComponentHealth(Struct):
    ok: bool
    kind: str


class Health(Struct):
    status: str  # "ok", "degraded" (Redis down: sign-ups work, messages wait) or "down"
    database: ComponentHealth
    redis: ComponentHealth


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get(operation_id="health", summary="Database and Redis reachability", cache=False)
    async def health(self) -> Response[Health]:
        """200 while the database answers (Redis down is ``degraded``); 503 without a database."""
        settings = get_settings()
        try:
            await database.ping()
            db_ok = True
        except Exception:
            db_ok = False
        redis_reachable = False
        if settings.redis_url is not None:
            redis_reachable = await redis_ok()
        embedded = os.environ.get("TREFFPUNKT_EMBEDDED_REDIS") == "1"
        status = "down" if not db_ok else ("ok" if redis_reachable else "degraded")
        body = Health(
            status=status,
            database=ComponentHealth(ok=db_ok, kind=settings.database.kind),
            redis=ComponentHealth(ok=redis_reachable, kind="embedded" if embedded else "server"),
        )
        return Response(body, status_code=200 if db_ok else 503)
