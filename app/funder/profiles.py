"""The funder profile of one person: read, write, consent for special categories.

Staff fill it in, never the participant. Coordinators and admins may open anyone's
profile; facilitators (the coaches) only of people registered for an activity they are
assigned to. Every read and every change is written to the audit log.

Values are codes from the field list (:mod:`app.funder.definition`), checked on every
write and stored together as one encrypted JSON object. Codes of fields that a later
field list no longer has are kept as they are (the person's download shows them).
A special-category value (``special_category = true``, e.g. disability) is accepted only
while the person's explicit consent for that field is on record; withdrawing the consent
removes the value in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.auth.roles import Role
from app.auth.services import CurrentUser
from app.database import write_transaction
from app.funder.config import current_definition
from app.funder.crypto import ProfileUnreadable, decrypt_json, encrypt_json
from app.funder.definition import ProfileDefinition
from app.funder.errors import (
    NoConsent,
    ParticipantUnknown,
    Problem,
    ProfileClosed,
    ProfileInvalid,
    ProfileRefused,
    ProfileUnavailable,
)
from app.funder.tables import FunderProfile, SpecialCategoryConsent
from app.privacy.services import audit
from app.privacy.tables import Erasure
from app.settings import get_settings
from scheduling.services._common import utcnow
from scheduling.tables import ActivityFacilitator, Participant, Registration


def N_(message: str) -> str:
    return message


MESSAGES = {
    "unknown_field": N_("There is no field %(key)s in the profile."),
    "unknown_code": N_("Choose one of the listed answers."),
    "date": N_("Write the date as YYYY-MM-DD, for example 2026-10-01."),
    "future": N_("This date is in the future."),
    "too_old": N_("Give a date from 1970 on."),
    "exit_before_entry": N_("The exit date cannot be before the entry date."),
    "exit_without_entry": N_("Give the entry date as well."),
    "exit_value_without_date": N_("Give the exit date as well."),
    "consent_missing": N_("Record the person's explicit consent first."),
}


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    field_key: str
    text_version: str
    given_at: datetime
    recorded_by: int | None
    withdrawn_at: datetime | None
    withdrawn_by: int | None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


@dataclass(frozen=True, slots=True)
class Profile:
    participant_id: int
    name: str
    exists: bool
    entry_date: date | None
    exit_date: date | None
    values: dict[str, str]
    consents: list[ConsentRecord]
    definition_version: str
    updated_at: datetime | None
    updated_by: int | None
    language: str = ""  # the person's own language, to read a consent text to them

    def has_consent(self, field_key: str) -> bool:
        return any(c.field_key == field_key and c.active for c in self.consents)


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """A whole profile as staff submit it; empty values are cleared.

    ``consent_for`` names special-category fields whose explicit consent is recorded
    together with this change (the page's consent checkbox).
    """

    entry_date: date | None = None
    exit_date: date | None = None
    values: dict[str, str | None] = field(default_factory=dict)
    consent_for: tuple[str, ...] = ()


# --- who may open a profile -------------------------------------------------------------


async def check_access(user: CurrentUser, participant_id: int) -> None:
    """Coordinators and admins: anyone. Facilitators: people in one of their activities."""
    if user.has_role(Role.coordinator):
        return
    if user.role is not Role.facilitator:
        raise ProfileRefused(N_("Only coordinators, admins and facilitators may open funder profiles."))
    mine = await ActivityFacilitator.select(ActivityFacilitator.activity).where(ActivityFacilitator.user_id == user.id)
    activity_ids = [row["activity"] for row in mine]
    if activity_ids:
        shared = await Registration.exists().where(
            Registration.participant == participant_id, Registration.session.activity.is_in(activity_ids)
        )
        if shared:
            return
    raise ProfileRefused(N_("You may only open the profiles of people registered for an activity you facilitate."))


async def _person(participant_id: int) -> dict[str, Any]:
    person = (
        await Participant.select(Participant.id, Participant.name, Participant.language, Participant.merged_into)
        .where(Participant.id == participant_id)
        .first()
    )
    if person is None:
        raise ParticipantUnknown(N_("There is no such person."))
    if person["merged_into"] is not None:
        raise ProfileClosed(
            N_("This record was merged into person %(other)s; open that one."), other=person["merged_into"]
        )
    if await Erasure.exists().where(Erasure.participant_id == participant_id):
        raise ProfileClosed(N_("This person's details were erased."))
    return person


async def person_details(participant_id: int) -> tuple[str, str]:
    """The person's name and language (for the profile page)."""
    person = await _person(participant_id)
    return str(person["name"]), str(person["language"])


# --- reading ---------------------------------------------------------------------------------


async def load_profile(participant_id: int, *, name: str = "", language: str = "") -> Profile:
    """The stored profile (empty when there is none), without access check or audit."""
    row = await FunderProfile.select().where(FunderProfile.participant_id == participant_id).first()
    consents = [
        ConsentRecord(
            field_key=c["field_key"],
            text_version=c["text_version"],
            given_at=c["given_at"],
            recorded_by=c["recorded_by"],
            withdrawn_at=c["withdrawn_at"],
            withdrawn_by=c["withdrawn_by"],
        )
        for c in await SpecialCategoryConsent.select()
        .where(SpecialCategoryConsent.participant_id == participant_id)
        .order_by(SpecialCategoryConsent.id)
    ]
    if row is None:
        return Profile(participant_id, name, False, None, None, {}, consents, "", None, None, language)
    try:
        values = decrypt_json(row["values_encrypted"]) if row["values_encrypted"] else {}
    except ProfileUnreadable as exc:
        raise ProfileUnavailable(str(exc)) from exc
    return Profile(
        participant_id=participant_id,
        name=name,
        exists=True,
        entry_date=_as_date(row["entry_date"]),
        exit_date=_as_date(row["exit_date"]),
        values=dict(values),
        consents=consents,
        definition_version=row["definition_version"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        language=language,
    )


async def read_profile(user: CurrentUser, participant_id: int) -> Profile:
    """A person's profile for a staff member (audited as ``profile.read``)."""
    person = await _person(participant_id)
    await check_access(user, participant_id)
    profile = await load_profile(participant_id, name=person["name"], language=person["language"])
    await audit(user.id, "profile.read", f"participant:{participant_id}")
    return profile


# --- writing ---------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()


def validate_change(change: ProfileChange, definition: ProfileDefinition, consented: set[str]) -> dict[str, str]:
    """The coded values to store, or :class:`ProfileInvalid` listing every problem."""
    problems: dict[str, Problem] = {}
    today = _today()
    for name in ("entry_date", "exit_date"):
        day = getattr(change, name)
        if day is not None and day > today:
            problems[name] = Problem(MESSAGES["future"])
        elif day is not None and day.year < 1970:
            problems[name] = Problem(MESSAGES["too_old"])
    if change.exit_date is not None:
        if change.entry_date is None:
            problems.setdefault("entry_date", Problem(MESSAGES["exit_without_entry"]))
        elif change.exit_date < change.entry_date:
            problems.setdefault("exit_date", Problem(MESSAGES["exit_before_entry"]))
    values: dict[str, str] = {}
    for key, code in change.values.items():
        spec = definition.field(key)
        if spec is None:
            problems[key] = Problem(MESSAGES["unknown_field"], {"key": key})
            continue
        if code is None or code == "":
            continue
        if code not in spec.codes:
            problems[key] = Problem(MESSAGES["unknown_code"])
            continue
        if spec.special_category and key not in consented:
            problems[key] = Problem(MESSAGES["consent_missing"])
            continue
        if spec.stage == "exit" and change.exit_date is None:
            problems.setdefault("exit_date", Problem(MESSAGES["exit_value_without_date"]))
        values[key] = code
    for key in change.consent_for:
        spec = definition.field(key)
        if spec is None or not spec.special_category:
            problems.setdefault(key, Problem(MESSAGES["unknown_field"], {"key": key}))
    if problems:
        raise ProfileInvalid(problems)
    return values


async def save_profile(user: CurrentUser, participant_id: int, change: ProfileChange) -> Profile:
    """Replace a person's profile (entry and exit dates and every configured field).

    Codes of fields that are no longer in the field list are kept. Audited as
    ``profile.update`` (and ``profile.consent`` for a consent recorded with it).
    """
    person = await _person(participant_id)
    await check_access(user, participant_id)
    definition = current_definition()
    now = utcnow()
    async with write_transaction():
        before = await load_profile(participant_id)
        consented = {c.field_key for c in before.consents if c.active} | set(change.consent_for)
        values = validate_change(change, definition, consented)
        for key in change.consent_for:
            if key not in {c.field_key for c in before.consents if c.active}:
                await _insert_consent(participant_id, key, user.id, now)
                await audit(user.id, "profile.consent", f"participant:{participant_id}")
        kept = {key: code for key, code in before.values.items() if definition.field(key) is None}
        token, key_id = encrypt_json({**kept, **values})
        data: dict[Any, Any] = {
            FunderProfile.entry_date: change.entry_date,
            FunderProfile.exit_date: change.exit_date,
            FunderProfile.values_encrypted: token,
            FunderProfile.key_id: key_id,
            FunderProfile.definition_version: definition.version,
            FunderProfile.updated_by: user.id,
            FunderProfile.updated_at: now,
        }
        if before.exists:
            await FunderProfile.update(data).where(FunderProfile.participant_id == participant_id)
        else:
            await FunderProfile.insert(
                FunderProfile(
                    participant_id=participant_id,
                    entry_date=change.entry_date,
                    exit_date=change.exit_date,
                    values_encrypted=token,
                    key_id=key_id,
                    definition_version=definition.version,
                    updated_by=user.id,
                    created_at=now,
                    updated_at=now,
                )
            )
        await audit(user.id, "profile.update", f"participant:{participant_id}")
    return await load_profile(participant_id, name=person["name"], language=person["language"])


async def delete_profile(user: CurrentUser, participant_id: int) -> bool:
    """Remove a person's profile and consent records; False when there was none."""
    await _person(participant_id)
    await check_access(user, participant_id)
    async with write_transaction():
        existed = await FunderProfile.exists().where(FunderProfile.participant_id == participant_id)
        await FunderProfile.delete().where(FunderProfile.participant_id == participant_id)
        await SpecialCategoryConsent.delete().where(SpecialCategoryConsent.participant_id == participant_id)
        await audit(user.id, "profile.delete", f"participant:{participant_id}")
    return existed


# --- consent for special categories ------------------------------------------------------


def _special_field(field_key: str) -> Any:
    spec = current_definition().field(field_key)
    if spec is None or not spec.special_category:
        raise ProfileInvalid(
            {field_key: Problem(N_("%(key)s needs no separate consent, or is not in the profile."), {"key": field_key})}
        )
    return spec


async def _insert_consent(participant_id: int, field_key: str, user_id: int, now: datetime) -> None:
    spec = _special_field(field_key)
    await SpecialCategoryConsent.insert(
        SpecialCategoryConsent(
            participant_id=participant_id,
            field_key=field_key,
            text_version=spec.consent_version,
            given_at=now,
            recorded_by=user_id,
        )
    )


async def record_consent(user: CurrentUser, participant_id: int, field_key: str) -> Profile:
    """Record the person's explicit consent to the field's current consent text.

    Recording it again while it is active changes nothing. Audited as ``profile.consent``.
    """
    person = await _person(participant_id)
    await check_access(user, participant_id)
    _special_field(field_key)
    async with write_transaction():
        active = await SpecialCategoryConsent.exists().where(
            SpecialCategoryConsent.participant_id == participant_id,
            SpecialCategoryConsent.field_key == field_key,
            SpecialCategoryConsent.withdrawn_at.is_null(),
        )
        if not active:
            await _insert_consent(participant_id, field_key, user.id, utcnow())
        await audit(user.id, "profile.consent", f"participant:{participant_id}")
    return await load_profile(participant_id, name=person["name"], language=person["language"])


async def withdraw_consent(user: CurrentUser, participant_id: int, field_key: str) -> Profile:
    """The person withdraws their consent: it is marked withdrawn and the value is removed.

    Audited as ``profile.consent_withdraw``.
    """
    person = await _person(participant_id)
    await check_access(user, participant_id)
    _special_field(field_key)
    now = utcnow()
    async with write_transaction():
        active = await SpecialCategoryConsent.exists().where(
            SpecialCategoryConsent.participant_id == participant_id,
            SpecialCategoryConsent.field_key == field_key,
            SpecialCategoryConsent.withdrawn_at.is_null(),
        )
        if not active:
            raise NoConsent(N_("There is no consent on record to withdraw."), field_key)
        await SpecialCategoryConsent.update(
            {SpecialCategoryConsent.withdrawn_at: now, SpecialCategoryConsent.withdrawn_by: user.id}
        ).where(
            SpecialCategoryConsent.participant_id == participant_id,
            SpecialCategoryConsent.field_key == field_key,
            SpecialCategoryConsent.withdrawn_at.is_null(),
        )
        await remove_value(participant_id, field_key)
        await audit(user.id, "profile.consent_withdraw", f"participant:{participant_id}")
    return await load_profile(participant_id, name=person["name"], language=person["language"])


async def remove_value(participant_id: int, field_key: str) -> None:
    """Take one field's value out of the stored profile (re-encrypted without it)."""
    row = (
        await FunderProfile.select(FunderProfile.values_encrypted)
        .where(FunderProfile.participant_id == participant_id)
        .first()
    )
    if row is None or not row["values_encrypted"]:
        return
    try:
        values = decrypt_json(row["values_encrypted"])
    except ProfileUnreadable as exc:
        raise ProfileUnavailable(str(exc)) from exc
    values.pop(field_key, None)
    token, key_id = encrypt_json(values)
    await FunderProfile.update(
        {FunderProfile.values_encrypted: token, FunderProfile.key_id: key_id, FunderProfile.updated_at: utcnow()}
    ).where(FunderProfile.participant_id == participant_id)


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value))
