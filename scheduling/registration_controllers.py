"""HTTP for registrations: public sign-up by session, personal token links, staff roster tools."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from app.auth.guards import current_user, require_coordinator, require_staff, require_user
from app.auth.roles import STAFF_ROLES
from app.rate_limit import hit
from app.settings import get_settings
from scheduling import access, services
from scheduling.schemas import (
    ContactPatch,
    HistoryEntry,
    MergeIn,
    MergeOut,
    MoveIn,
    RegistrationCreated,
    RegistrationIn,
    RegistrationOut,
    RosterEntry,
)
from scheduling.services import registrations

AnyRequest = Request[Any, Any, Any]


def links(token: str) -> dict[str, str]:
    base = get_settings().base_url
    return {
        "manage_url": f"{base}/r/{token}",
        "qr_url": f"{base}/r/{token}/qr.svg",
        "ics_url": f"{base}/ics/r/{token}.ics",
    }


def client_address(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


async def enforce_signup_limit(request: AnyRequest) -> None:
    retry_after = await hit("signup", client_address(request), get_settings().signup_rate_limit)
    if retry_after is not None:
        raise HTTPException(
            status_code=429,
            detail=f"Too many sign-ups from your network. Please try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


def created_body(result: registrations.SignUpResult) -> RegistrationCreated:
    if not result.created:
        return RegistrationCreated(
            id=result.registration_id,
            status=result.status,
            waitlist_position=result.waitlist_position,
            already_registered=True,
            detail="You are already registered for this session. Your personal link was sent to you when you "
            "signed up; staff can help if you lost it.",
        )
    assert result.token is not None
    urls = links(result.token)
    return RegistrationCreated(
        id=result.registration_id,
        status=result.status,
        token=result.token,
        manage_url=urls["manage_url"],
        qr_url=urls["qr_url"],
        ics_url=urls["ics_url"],
        waitlist_position=result.waitlist_position,
        series_registrations=result.series_registrations,
    )


async def registration_out(token: str) -> RegistrationOut:
    row = await registrations.registration_by_token(token)
    session = await services.get_session(row["session"], include_unpublished=True)
    activity = await services.get_activity(session.activity_id, include_unpublished=True)
    urls = links(token)
    return RegistrationOut(
        id=row["id"],
        status=row["status"],
        name=row["name"],
        language=row["language"],
        phone=row["phone"],
        email=row["email"],
        waitlist_position=row["waitlist_position"],
        session=session,
        activity_id=activity.id,
        title=activity.title,
        manage_url=urls["manage_url"],
        qr_url=urls["qr_url"],
        ics_url=urls["ics_url"],
    )


class SignUpController(Controller):
    path = "/api/v1/sessions/{session_id:int}/registrations"
    tags = ["registrations"]

    @post(operation_id="signUp", status_code=201)
    async def sign_up(
        self, request: AnyRequest, session_id: FromPath[int], data: JSONBody[RegistrationIn]
    ) -> Response[RegistrationCreated]:
        """Sign up for a session without an account (phone or e-mail required, consent true).

        With a staff token the person is added by hand (phone call, walk-in): no rate limit,
        and the consent is recorded as given to staff; a facilitator only at sessions they may run
        (assigned, or an activity nobody is assigned to), else 403. The same phone or e-mail twice
        gets the existing registration back (200, without its token).
        """
        user = current_user(request)
        staff = user is not None and user.has_role(*STAFF_ROLES)
        if staff and user:
            await access.check_session(access.Staff.of(user), session_id)
        else:
            await enforce_signup_limit(request)
        result = await registrations.sign_up(
            session_id,
            registrations.SignUp(
                name=data.name,
                language=data.language,
                phone=data.phone,
                email=data.email,
                consent=data.consent,
                series=data.series,
                source="staff" if staff else "api",
            ),
            actor=f"staff:{user.id}" if staff and user else "participant",
        )
        return Response(created_body(result), status_code=201 if result.created else 200)

    @get(guards=[require_staff], operation_id="sessionRoster")
    async def roster(self, request: AnyRequest, session_id: FromPath[int]) -> list[RosterEntry]:
        """The roster: confirmed, then the waiting list in order, then cancelled (recorded in the audit log).

        Facilitators only for sessions they may run (assigned, or an activity nobody is assigned to), else 403.
        """
        await access.check_session(access.Staff.of(require_user(request)), session_id)
        from app.privacy.services import audit

        await audit(require_user(request).id, "roster.read", f"session:{session_id}")
        return [
            RosterEntry(
                id=row["id"],
                participant_id=row["participant"],
                name=row["name"],
                phone=row["phone"],
                email=row["email"],
                language=row["language"],
                status=row["status"],
                waitlist_position=row["waitlist_position"],
                source=row["source"],
                registered_at=row["created_at"],
            )
            for row in await registrations.roster(session_id)
        ]


class MyRegistrationController(Controller):
    path = "/api/v1/registrations/{token:str}"
    tags = ["registrations"]

    @get(operation_id="getMyRegistration")
    async def get_one(self, token: FromPath[str]) -> RegistrationOut:
        """The registration this personal token stands for, with its session."""
        return await registration_out(token)

    @delete(operation_id="cancelMyRegistration", status_code=200)
    async def cancel(self, token: FromPath[str]) -> RegistrationOut:
        """Cancel; the first person on the waiting list moves up and is told."""
        await registrations.cancel_by_token(token)
        return await registration_out(token)

    @patch(operation_id="updateMyDetails")
    async def update(self, token: FromPath[str], data: JSONBody[ContactPatch]) -> RegistrationOut:
        """Change name, phone, e-mail or language; every registration of the person keeps them.
        An empty string removes a phone number or e-mail (one of them must remain)."""
        await registrations.update_contact(
            token,
            name=data.name,
            phone=data.phone or None,
            email=data.email or None,
            language=data.language,
            clear_phone=data.phone == "",
            clear_email=data.email == "",
        )
        return await registration_out(token)


class StaffRegistrationController(Controller):
    """Staff acting on one registration; facilitators only where they may run the session (``scheduling.access``)."""

    path = "/api/v1/staff/registrations/{registration_id:int}"
    tags = ["registrations"]
    guards = [require_staff]

    @delete(operation_id="staffCancelRegistration", status_code=204)
    async def cancel(self, request: AnyRequest, registration_id: FromPath[int]) -> None:
        """Cancel on a person's behalf."""
        user = require_user(request)
        await access.check_registration(access.Staff.of(user), registration_id)
        await registrations.cancel_by_id(registration_id, actor=f"staff:{user.id}")

    @post("/move", operation_id="staffMoveRegistration", status_code=200)
    async def move(
        self, request: AnyRequest, registration_id: FromPath[int], data: JSONBody[MoveIn]
    ) -> RegistrationCreated:
        """Move a person to another session (a seat there, or its waiting list); a facilitator needs both
        sessions to be ones they may run."""
        user = require_user(request)
        await access.check_registration(access.Staff.of(user), registration_id)
        await access.check_session(access.Staff.of(user), data.session_id)
        result = await registrations.move_registration(registration_id, data.session_id, actor=f"staff:{user.id}")
        return created_body(result)

    @get("/history", operation_id="registrationHistory")
    async def history(self, request: AnyRequest, registration_id: FromPath[int]) -> list[HistoryEntry]:
        """Every state change: who, when, from, to."""
        await access.check_registration(access.Staff.of(require_user(request)), registration_id)
        return [
            HistoryEntry(
                at=r["at"], actor=r["actor"], from_status=r["from_status"], to_status=r["to_status"], note=r["note"]
            )
            for r in await registrations.history(registration_id)
        ]


class ParticipantController(Controller):
    path = "/api/v1/participants"
    tags = ["registrations"]

    @post(
        "/{participant_id:int}/merge", guards=[require_coordinator], operation_id="mergeParticipants", status_code=200
    )
    async def merge(self, request: AnyRequest, participant_id: FromPath[int], data: JSONBody[MergeIn]) -> MergeOut:
        """Merge this person's record into another record of the same person."""
        moved = await registrations.merge_participants(
            participant_id, data.into, actor=f"staff:{require_user(request).id}"
        )
        return MergeOut(into=data.into, registrations_moved=moved)
