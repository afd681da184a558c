"""Employers: the companies that host company visits."""

from __future__ import annotations

from typing import Any

from scheduling.errors import InvalidActivity, SchedulingError
from scheduling.languages import is_language_code
from scheduling.schemas import EmployerIn, EmployerOut
from scheduling.services._common import utcnow
from scheduling.tables import Employer


class EmployerNotFound(SchedulingError):
    pass


def _validate(data: EmployerIn) -> None:
    if not data.name.strip():
        raise InvalidActivity("name", "give the employer's name")
    for code in data.site_languages:
        if not is_language_code(code):
            raise InvalidActivity("site_languages", f"{code!r} is not a language code; use e.g. de, en, ar")
    if data.contact_email and "@" not in data.contact_email:
        raise InvalidActivity("contact_email", f"{data.contact_email!r} is not an e-mail address")


async def create_employer(data: EmployerIn) -> EmployerOut:
    _validate(data)
    rows = await Employer.insert(
        Employer(
            name=data.name.strip(),
            sector=data.sector,
            address=data.address,
            contact_email=data.contact_email,
            contact_phone=data.contact_phone,
            site_languages=list(data.site_languages),
            accessibility=data.accessibility,
            visitor_requirements=data.visitor_requirements,
            description=dict(data.description),
            created_at=utcnow(),
        )
    ).returning(Employer.id)
    return await get_employer(int(rows[0]["id"]), include_contact=True)


def _to_out(row: dict[str, Any], include_contact: bool) -> EmployerOut:
    return EmployerOut(
        id=row["id"],
        name=row["name"],
        sector=row["sector"],
        address=row["address"],
        site_languages=row["site_languages"] or [],
        accessibility=row["accessibility"],
        visitor_requirements=row["visitor_requirements"],
        description=row["description"] or {},
        contact_email=row["contact_email"] if include_contact else None,
        contact_phone=row["contact_phone"] if include_contact else None,
    )


async def get_employer(employer_id: int, *, include_contact: bool = False) -> EmployerOut:
    row = await Employer.select().where(Employer.id == employer_id).output(load_json=True).first()
    if row is None:
        raise EmployerNotFound(f"There is no employer with id {employer_id}.")
    return _to_out(row, include_contact)


async def list_employers(*, include_contact: bool = False) -> list[EmployerOut]:
    rows = await Employer.select().order_by(Employer.name).output(load_json=True)
    return [_to_out(row, include_contact) for row in rows]


async def employer_exists(employer_id: int) -> bool:
    return bool(await Employer.exists().where(Employer.id == employer_id))
