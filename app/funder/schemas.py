"""Shapes of the funder profile and report API (msgspec structs, checked at the boundary)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct

from app.funder.definition import ProfileDefinition, localized
from app.funder.profiles import Profile


class ConsentOut(Struct):
    field: str
    text_version: str
    given_at: datetime
    recorded_by: int | None
    withdrawn_at: datetime | None
    withdrawn_by: int | None
    active: bool


class ProfileOut(Struct):
    participant_id: int
    exists: bool
    entry_date: date | None
    exit_date: date | None
    values: Annotated[
        dict[str, str], Meta(description="Coded answers by field key (see /api/v1/funder/profile-fields).")
    ]
    consents: list[ConsentOut]
    definition_version: str
    updated_at: datetime | None
    updated_by: int | None


class ProfileIn(Struct, forbid_unknown_fields=True):
    """The whole profile: fields left out or null are cleared."""

    entry_date: date | None = None
    exit_date: date | None = None
    values: dict[str, str | None] = {}


class ConsentIn(Struct, forbid_unknown_fields=True):
    field: Annotated[str, Meta(max_length=40, description="A special-category field, e.g. disability.")]


class OptionOut(Struct):
    code: str
    label: str


class FieldOut(Struct):
    key: str
    stage: str
    label: str
    options: list[OptionOut]
    special_category: bool
    consent_version: str
    consent_text: str


class DefinitionOut(Struct):
    version: str
    fields: list[FieldOut]


class ReportRowOut(Struct):
    label: str
    values: list[int | float | str]
    code: str


class ReportTableOut(Struct):
    key: str
    title: str
    columns: list[str]
    rows: list[ReportRowOut]
    total: ReportRowOut | None


class ReportOut(Struct):
    start: date
    end: date
    shared: bool
    language: str
    tables: list[ReportTableOut]


def profile_out(profile: Profile) -> ProfileOut:
    return ProfileOut(
        participant_id=profile.participant_id,
        exists=profile.exists,
        entry_date=profile.entry_date,
        exit_date=profile.exit_date,
        values=profile.values,
        consents=[
            ConsentOut(
                field=c.field_key,
                text_version=c.text_version,
                given_at=c.given_at,
                recorded_by=c.recorded_by,
                withdrawn_at=c.withdrawn_at,
                withdrawn_by=c.withdrawn_by,
                active=c.active,
            )
            for c in profile.consents
        ],
        definition_version=profile.definition_version,
        updated_at=profile.updated_at,
        updated_by=profile.updated_by,
    )


def definition_out(definition: ProfileDefinition, lang: str) -> DefinitionOut:
    return DefinitionOut(
        version=definition.version,
        fields=[
            FieldOut(
                key=f.key,
                stage=f.stage,
                label=localized(f.label, lang),
                options=[OptionOut(code=o.code, label=localized(o.label, lang)) for o in f.options],
                special_category=f.special_category,
                consent_version=f.consent_version,
                consent_text=localized(f.consent_text, lang) if f.consent_text else "",
            )
            for f in definition.fields
        ],
    )
