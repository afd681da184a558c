"""HTTP for the outbox: staff see messages that could not be sent and send them again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from msgspec import Struct

from app.auth.guards import require_coordinator, require_staff
from notifications.sending import resend
from notifications.tables import OutboxMessage

STATUSES = ("pending", "sending", "sent", "failed", "skipped")
# What staff may see of a message: never its text or its address.
ENTRY_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.status,
    OutboxMessage.registration_id,
    OutboxMessage.session_id,
    OutboxMessage.attempts,
    OutboxMessage.not_before,
    OutboxMessage.sent_at,
    OutboxMessage.channel,
    OutboxMessage.last_error,
)


class OutboxEntry(Struct):
    id: int
    kind: str
    status: str
    registration_id: int | None
    session_id: int | None
    attempts: int
    not_before: datetime
    sent_at: datetime | None
    channel: str
    last_error: str


class OutboxController(Controller):
    path = "/api/v1/outbox"
    tags = ["notifications"]

    @get(guards=[require_staff], operation_id="listOutbox")
    async def list_messages(
        self,
        status: Annotated[str, QueryParameter(description="pending, sending, sent, failed or skipped")] = "failed",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[OutboxEntry]:
        """Messages by state (default: the ones that failed), newest first. No message text or address."""
        if status not in STATUSES:
            from scheduling.errors import InvalidActivity

            raise InvalidActivity("status", f"status must be one of {', '.join(STATUSES)}")
        rows = (
            await OutboxMessage.select(*ENTRY_COLUMNS)
            .where(OutboxMessage.status == status)
            .order_by(OutboxMessage.id, ascending=False)
            .limit(limit)
        )
        return [OutboxEntry(**row) for row in rows]

    @post("/{message_id:int}/resend", guards=[require_coordinator], operation_id="resendMessage", status_code=202)
    async def resend_message(self, message_id: FromPath[int]) -> OutboxEntry:
        """Queue a failed message again (the worker's sweep picks it up within seconds)."""
        if not await resend(message_id):
            raise NotFoundException(f"There is no failed message with id {message_id}.")
        row = await OutboxMessage.select(*ENTRY_COLUMNS).where(OutboxMessage.id == message_id).first()
        assert row is not None
        return OutboxEntry(**row)
