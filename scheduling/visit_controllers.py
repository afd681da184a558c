"""HTTP for company visits: slots of an employer, the coordinator's decision, the gate's visitor
list, feedback, a participant's interest and the coordinators' follow-ups.

Thin: parse, call a service in ``scheduling.services.visits``, answer. Who may do what is
decided there, from the :class:`VisitActor` built here.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from app.auth.guards import require_coordinator, require_user, signed_in
from app.auth.roles import STAFF_ROLES, Role
from app.settings import get_settings
from scheduling.controllers import From, To, parse_instant
from scheduling.services import visits
from scheduling.visit_schemas import (
    FollowUpOut,
    InterestIn,
    InterestOut,
    SlotCreate,
    SlotDecline,
    SlotFeedback,
    SlotOut,
    SlotUpdate,
    VisitorOut,
)

AnyRequest = Request[Any, Any, Any]
PRIVATE = {"Cache-Control": "private, no-store"}


def visit_actor(request: AnyRequest) -> visits.VisitActor:
    """The signed-in account as the visits domain sees it."""
    user = require_user(request)
    return visits.VisitActor(
        user_id=user.id,
        host_of=user.employer_id if user.role is Role.host else None,
        staff=user.has_role(*STAFF_ROLES),
        coordinator=user.has_role(Role.coordinator),
    )


class EmployerSlotController(Controller):
    path = "/api/v1/employers/{employer_id:int}/slots"
    tags = ["company visits"]
    guards = [signed_in]

    @post(operation_id="proposeSlot", status_code=201)
    async def propose(self, request: AnyRequest, employer_id: FromPath[int], data: JSONBody[SlotCreate]) -> SlotOut:
        """Propose a visit date (the employer's hosts, coordinators): ``proposed`` and hidden until approved."""
        settings = get_settings()
        return await visits.propose_slot(
            employer_id,
            data,
            visit_actor(request),
            default_timezone=settings.timezone,
            default_language=settings.default_language,
        )

    @get(operation_id="listEmployerSlots")
    async def list_slots(self, request: AnyRequest, employer_id: FromPath[int]) -> list[SlotOut]:
        """The employer's slots in time order, every status, with confirmed and waitlisted counts."""
        return await visits.list_slots(employer_id, visit_actor(request))


class SlotController(Controller):
    path = "/api/v1/slots/{slot_id:int}"
    tags = ["company visits"]
    guards = [signed_in]

    @get(operation_id="getSlot")
    async def get_one(self, request: AnyRequest, slot_id: FromPath[int]) -> SlotOut:
        """One slot (its employer's hosts, staff)."""
        return await visits.get_slot(slot_id, visit_actor(request))

    @patch(operation_id="updateSlot")
    async def update(self, request: AnyRequest, slot_id: FromPath[int], data: JSONBody[SlotUpdate]) -> SlotOut:
        """Change a slot before anyone has signed up. A host's change to an approved slot needs approval again."""
        return await visits.update_slot(
            slot_id, data, visit_actor(request), default_language=get_settings().default_language
        )

    @post("/withdraw", operation_id="withdrawSlot", status_code=200)
    async def withdraw(self, request: AnyRequest, slot_id: FromPath[int]) -> SlotOut:
        """Withdraw a slot before anyone has signed up; participants no longer see it."""
        return await visits.withdraw_slot(slot_id, visit_actor(request))

    @post("/approve", guards=[require_coordinator], operation_id="approveSlot", status_code=200)
    async def approve(self, request: AnyRequest, slot_id: FromPath[int]) -> SlotOut:
        """Publish a proposed slot (coordinators): participants can see it and sign up."""
        return await visits.approve_slot(slot_id, visit_actor(request))

    @post("/decline", guards=[require_coordinator], operation_id="declineSlot", status_code=200)
    async def decline(self, request: AnyRequest, slot_id: FromPath[int], data: JSONBody[SlotDecline]) -> SlotOut:
        """Decline a proposed slot with a reason the host sees (coordinators)."""
        return await visits.decline_slot(slot_id, data.reason, visit_actor(request))

    @post("/feedback", operation_id="slotFeedback", status_code=200)
    async def feedback(self, request: AnyRequest, slot_id: FromPath[int], data: JSONBody[SlotFeedback]) -> SlotOut:
        """The host's short feedback once the visit has begun (a new one replaces the old)."""
        return await visits.leave_feedback(slot_id, data.text, visit_actor(request))

    @get("/visitors", operation_id="slotVisitors")
    async def visitors(self, request: AnyRequest, slot_id: FromPath[int]) -> Response[list[VisitorOut]]:
        """Confirmed visitors for the gate: first name and initial, language; never phone or e-mail."""
        people = await visits.visitors(slot_id, visit_actor(request))
        return Response(people, headers=PRIVATE)

    @get("/visitors.csv", operation_id="slotVisitorsCsv", media_type="text/csv")
    async def visitors_csv(self, request: AnyRequest, slot_id: FromPath[int]) -> Response[str]:
        """The gate's visitor list as CSV (name, language, status)."""
        people = await visits.visitors(slot_id, visit_actor(request))
        return Response(
            visits.visitors_csv(people),
            media_type="text/csv; charset=utf-8",
            headers={**PRIVATE, "Content-Disposition": f'attachment; filename="visit-{slot_id}-visitors.csv"'},
        )


class VisitInterestController(Controller):
    path = "/api/v1/registrations/{token:str}/interest"
    tags = ["company visits"]

    @get(operation_id="getVisitInterest")
    async def get_one(self, token: FromPath[str]) -> InterestOut:
        """Whether this person would like an internship or a job where they visited."""
        return InterestOut(interested=await visits.interest_of(token))

    @post(operation_id="markVisitInterest", status_code=200)
    async def mark(self, token: FromPath[str], data: JSONBody[InterestIn]) -> InterestOut:
        """Mark (or take back) "I would like an internship or a job here"; company-visit registrations only."""
        return InterestOut(interested=await visits.mark_interest(token, data.interested))


class FollowUpController(Controller):
    path = "/api/v1/visits"
    tags = ["company visits"]

    @get("/follow-ups", guards=[require_coordinator], operation_id="visitFollowUps")
    async def follow_ups(self, start: From = None, end: To = None) -> Response[list[FollowUpOut]]:
        """People who would like an internship or a job where they visited, with their contact details."""
        rows = await visits.follow_ups(start=parse_instant(start, "from"), end=parse_instant(end, "to"))
        return Response(rows, headers=PRIVATE)
