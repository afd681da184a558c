"""What erasure, retention and the person's download do with the funder profile.

Erasure turns the profile into anonymous counts and deletes it: for the month of entry
(and of exit) one is added to the count of people and to the count of each coded value
(``FunderTally``), then the profile row and its consent records are deleted. The counts
of one month are kept per value, never per person, so nothing links one person's age
band to their gender or disability; funder reports for periods made of whole months keep
exactly the same numbers. Nothing here imports the privacy services: they call us.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.funder.config import current_definition
from app.funder.crypto import ProfileUnreadable, decrypt_json, key_ring, rotate
from app.funder.definition import localized
from app.funder.tables import FunderProfile, FunderTally, SpecialCategoryConsent

PEOPLE = "_people"  # the FunderTally field key that counts people


def month_of(day: date) -> date:
    return day.replace(day=1)


async def _add_to_tally(stage: str, month: date, counts: dict[tuple[str, str], int]) -> None:
    """Add ``counts`` to the month's tally; every value of the stage has a row (zeros too),
    so which rows exist says nothing about who was erased."""
    definition = current_definition()
    wanted = {(PEOPLE, "")} | {(f.key, code) for f in definition.at_stage(stage) for code in f.codes} | set(counts)
    existing = {
        (row["field_key"], row["code"]): row
        for row in await FunderTally.select().where(FunderTally.stage == stage, FunderTally.month == month)
    }
    for key in sorted(wanted - set(existing)):
        await FunderTally.insert(FunderTally(stage=stage, month=month, field_key=key[0], code=key[1], amount=0))
    for (field_key, code), add in counts.items():
        await FunderTally.update({FunderTally.amount: FunderTally.amount + add}).where(
            FunderTally.stage == stage,
            FunderTally.month == month,
            FunderTally.field_key == field_key,
            FunderTally.code == code,
        )


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def erase_profile(participant_id: int) -> bool:
    """Fold a person's profile into the anonymous counts and delete it (inside the erasure's
    transaction). Returns whether there was a profile."""
    row = await FunderProfile.select().where(FunderProfile.participant_id == participant_id).first()
    await SpecialCategoryConsent.delete().where(SpecialCategoryConsent.participant_id == participant_id)
    if row is None:
        return False
    try:
        values: dict[str, str] = decrypt_json(row["values_encrypted"]) if row["values_encrypted"] else {}
    except ProfileUnreadable:
        values = {}  # still counted as a person; its values cannot be read any more
    definition = current_definition()
    for stage, day in (("entry", _day(row["entry_date"])), ("exit", _day(row["exit_date"]))):
        if day is None:
            continue
        counts = {(PEOPLE, ""): 1}
        for spec in definition.at_stage(stage):
            if values.get(spec.key):
                counts[(spec.key, values[spec.key])] = 1
        await _add_to_tally(stage, month_of(day), counts)
    await FunderProfile.delete().where(FunderProfile.participant_id == participant_id)
    return True


async def export_profile(participant_id: int) -> dict[str, Any] | None:
    """The profile for the person's own download: dates, each answer with its wording, consents."""
    row = await FunderProfile.select().where(FunderProfile.participant_id == participant_id).first()
    consents = await SpecialCategoryConsent.select(
        SpecialCategoryConsent.field_key,
        SpecialCategoryConsent.text_version,
        SpecialCategoryConsent.given_at,
        SpecialCategoryConsent.withdrawn_at,
    ).where(SpecialCategoryConsent.participant_id == participant_id)
    if row is None and not consents:
        return None
    definition = current_definition()
    values: dict[str, str] = {}
    if row is not None and row["values_encrypted"]:
        try:
            values = decrypt_json(row["values_encrypted"])
        except ProfileUnreadable:
            values = {}
    answers = []
    for key, code in sorted(values.items()):
        spec = definition.field(key)
        answers.append(
            {
                "field": key,
                "question": localized(spec.label, "en") if spec else key,
                "code": code,
                "answer": spec.option_label(code, "en") if spec else code,
            }
        )
    return {
        "purpose": "Counting in the report to the funder (European Social Fund); filled in by project staff.",
        "entry_date": _day(row["entry_date"]) if row else None,
        "exit_date": _day(row["exit_date"]) if row else None,
        "answers": answers,
        "special_category_consents": consents,
        "updated_at": row["updated_at"] if row else None,
    }


async def reencrypt_profiles() -> int:
    """Re-encrypt every profile written with an older data key; returns how many changed."""
    _, current = key_ring()
    rows = await FunderProfile.select(FunderProfile.id, FunderProfile.values_encrypted).where(
        FunderProfile.key_id != current, FunderProfile.values_encrypted != ""
    )
    changed = 0
    for row in rows:
        try:
            token = rotate(row["values_encrypted"])
        except ProfileUnreadable:
            continue
        await FunderProfile.update({FunderProfile.values_encrypted: token, FunderProfile.key_id: current}).where(
            FunderProfile.id == row["id"]
        )
        changed += 1
    return changed
