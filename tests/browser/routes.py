"""Every page the accessibility test opens, in one place.

Add a page here when it needs rows to exist (placeholders are filled from :class:`Places`);
pages linked from the staff dashboard or the host portal are also found by the crawler in
:mod:`tests.browser.a11y`, so a new staff page that the dashboard links to is checked even
before it is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Places:
    activity_id: int
    session_id: int
    participant_id: int
    cafe_session_id: int
    token: str
    slot_id: int
    visit_token: str
    invite_token: str


# Participant pages (no sign-in); error pages are pages too.
PARTICIPANT = [
    "/",
    "/?lang=ar",
    "/?kind=small_group&week=1",
    "/s/{session_id}",
    "/s/{session_id}?lang=ar",
    "/s/{cafe_session_id}?lang=fa",
    "/r/{token}",
    "/r/{token}?lang=ar",
    "/r/{token}?done=saved",
    "/r/{visit_token}",
    "/does-not-exist",
    "/s/999999",
    "/r/not-a-real-token-at-all-000000000",
    "/host/invite/{invite_token}",
    "/host/invite/not-a-real-invitation-token",
    "/staff/login",
    "/staff/login?lang=ar",
]

# Staff pages, opened signed in as an admin (who may open every staff page).
STAFF = [
    "/staff",
    "/staff?lang=ar",
    "/staff/account",
    "/staff/sessions/{session_id}/door",
    "/staff/sessions/{session_id}/door?q=Nour",
    "/staff/sessions/{cafe_session_id}/door",
    "/staff/sessions/{session_id}/door?lang=ar",
]

# Staff pages that are checked when they exist (answer 200 to the admin): pages being built
# alongside this test; move a page up to STAFF once it is part of the product.
STAFF_IF_PRESENT = [
    "/staff/activities",
    "/staff/activities/new",
    "/staff/activities/{activity_id}",
    "/staff/activities/{activity_id}/edit",
    "/staff/sessions/{session_id}",
    "/staff/reports",
    "/staff/activities/{activity_id}/attendance",
    "/staff/reports/funder",
    "/staff/participants/{participant_id}/profile",
    "/staff/audit",
    "/staff/outbox",
    "/staff/follow-ups",
    "/staff/employers",
]

# Employers' hosts, signed in as a host.
HOST = [
    "/host",
    "/host/slots/{slot_id}",
    "/host?lang=ar",
]


def fill(paths: list[str], places: Places) -> list[str]:
    values = vars(places)
    return [path.format(**values) for path in paths]
