"""Piccolo tables of the funder profile.

``FunderProfile``: one row per person, the coded values as one encrypted JSON object
(so a changed field list needs no migration), entry and exit dates in the clear (the
report selects by them). ``SpecialCategoryConsent``: the separate explicit consent that a
special-category value (e.g. disability) needs, with its history. ``FunderTally``: counts
kept for the report after a person is erased, per month and indicator value, with no
link between one person's values.
"""

from __future__ import annotations

from piccolo.columns import Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class FunderProfile(Table, tablename="funder_profile"):
    id = Serial(primary_key=True)
    participant_id = Integer(unique=True, index=True)
    entry_date = Date(null=True, default=None, index=True)
    exit_date = Date(null=True, default=None, index=True)
    values_encrypted = Text(default="", secret=True)  # Fernet token of {"field key": "code"}
    key_id = Varchar(length=12, default="")  # which data key encrypted it (rotation)
    definition_version = Varchar(length=60, default="")
    updated_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class SpecialCategoryConsent(Table, tablename="special_category_consent"):
    """A person's explicit consent to record one special-category field (GDPR art. 9)."""

    id = Serial(primary_key=True)
    participant_id = Integer(index=True)
    field_key = Varchar(length=40)
    text_version = Varchar(length=40)
    given_at = Timestamptz()
    recorded_by = Integer(null=True, default=None)  # the staff member who recorded it
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_by = Integer(null=True, default=None)


class FunderTally(Table, tablename="funder_tally"):
    """Anonymous counts of erased people, so funder reports for past periods stay true.

    ``field_key`` ``"_people"`` counts the people themselves; ``code`` is a field's value.
    """

    id = Serial(primary_key=True)
    stage = Varchar(length=10)  # "entry" or "exit"
    month = Date(index=True)  # first day of the month of entry or exit
    field_key = Varchar(length=40)
    code = Varchar(length=40)
    amount = Integer(default=0)  # how many people
