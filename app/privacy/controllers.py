"""HTTP for privacy: a person's own download and erasure, staff erasure and export, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from msgspec import Struct

from app.auth.guards import require_admin, require_coordinator, require_user
from app.pages import request_language
from app.privacy import services

AnyRequest = Request[Any, Any, Any]
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class Erased(Struct):
    participant_id: int | None
    registrations: int


class AuditOut(Struct):
    id: int
    at: datetime
    user_id: int | None
    action: str
    subject: str


class MyDataController(Controller):
    tags = ["privacy"]

    @get("/api/v1/registrations/{token:str}/export", operation_id="exportMyData")
    async def export(self, token: FromPath[str]) -> Response[dict[str, Any]]:
        """Everything we hold about the person this link belongs to, as JSON."""
        return Response(await services.export_by_token(token), headers=PRIVATE)

    @post("/api/v1/registrations/{token:str}/erase", operation_id="eraseMyData", status_code=200)
    async def erase(self, token: FromPath[str]) -> Erased:
        """Delete my details: future places are cancelled, links stop working, counts stay anonymous."""
        return Erased(participant_id=None, registrations=await services.erase_by_token(token))

    @get("/r/{token:str}/data.json", include_in_schema=False)
    async def download(self, token: FromPath[str]) -> Response[dict[str, Any]]:
        return Response(
            await services.export_by_token(token),
            headers={**PRIVATE, "Content-Disposition": 'attachment; filename="my-treffpunkt-data.json"'},
        )

    @post("/r/{token:str}/erase", include_in_schema=False)
    async def erase_page(self, request: AnyRequest, token: FromPath[str]) -> Redirect:
        await services.erase_by_token(token)
        return Redirect(f"/?lang={request_language(request)}&erased=1", status_code=303)


class StaffPrivacyController(Controller):
    tags = ["privacy"]

    @post(
        "/api/v1/participants/{participant_id:int}/erase",
        guards=[require_coordinator],
        operation_id="eraseParticipant",
        status_code=200,
    )
    async def erase(self, request: AnyRequest, participant_id: FromPath[int]) -> Erased:
        """Erase a person on their request (recorded in the audit log)."""
        user = require_user(request)
        count = await services.erase_participant(participant_id, reason="request", by_user_id=user.id)
        await services.audit(user.id, "participant.erase", f"participant:{participant_id}")
        return Erased(participant_id=participant_id, registrations=count)

    @get(
        "/api/v1/participants/{participant_id:int}/export",
        guards=[require_coordinator],
        operation_id="exportParticipant",
    )
    async def export(self, request: AnyRequest, participant_id: FromPath[int]) -> dict[str, Any]:
        """A person's data for a subject access request (recorded in the audit log)."""
        user = require_user(request)
        data = await services.export_participant(participant_id)
        await services.audit(user.id, "participant.export", f"participant:{participant_id}")
        return data

    @get("/api/v1/audit", guards=[require_admin], operation_id="auditLog")
    async def audit_log(self) -> list[AuditOut]:
        """Who read or changed personal data, newest first (admins only)."""
        return [AuditOut(**row) for row in await services.audit_entries()]
