"""The visitor list for the gate: who is coming, as the host may see them.

Hosts see a visitor's first name and the initial of the last name ("Amina K."), and
the language, never a phone number or an e-mail address. Staff see full details in
the session roster (``GET /api/v1/sessions/{id}/registrations``).
"""

from __future__ import annotations

import csv
import io

from scheduling.kinds import RegistrationStatus
from scheduling.services.visits._access import VisitActor
from scheduling.services.visits._rows import load_slot_row, slot_sessions
from scheduling.tables import Registration
from scheduling.visit_schemas import VisitorOut

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def short_name(full_name: str) -> str:
    """``"Amina Khalil"`` → ``"Amina K."``; a single name stays as it is."""
    parts = full_name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."


async def visitors(slot_id: int, actor: VisitActor) -> list[VisitorOut]:
    """The confirmed visitors of a slot, by name."""
    await load_slot_row(slot_id, actor, change=False)
    session = (await slot_sessions([slot_id])).get(slot_id)
    if session is None:
        return []
    rows = await Registration.select(
        Registration.participant.name.as_alias("name"),
        Registration.participant.language.as_alias("language"),
    ).where(Registration.session == session["id"], Registration.status == RegistrationStatus.confirmed.value)
    people = [
        VisitorOut(name=short_name(row["name"]), language=row["language"], status=RegistrationStatus.confirmed)
        for row in rows
    ]
    return sorted(people, key=lambda person: person.name.casefold())


def _cell(value: str) -> str:
    """A spreadsheet must not run a name as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def visitors_csv(people: list[VisitorOut]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["name", "language", "status"])
    for person in people:
        writer.writerow([_cell(person.name), person.language, person.status.value])
    return buffer.getvalue()
