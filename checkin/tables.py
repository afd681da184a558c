"""Piccolo tables of the checkin domain.

``Attendance`` says who was there: exactly one row per registration (a UNIQUE
constraint), so a repeated or concurrent scan can never count a person twice.
``DoorScan`` is the door's log: every scan, denied ones too, with its outcome.
``NoShow`` marks confirmed people who did not come to a session that is over, and
``WalkInCount`` is the anonymous head-count of people who came without registering.

Session ids in the log are plain integers: a scan may name a session that does not
exist, and the log must keep it anyway.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from checkin.outcomes import CheckinMethod
from scheduling.tables import Registration, Session


class Attendance(Table, tablename="attendance"):
    id = Serial(primary_key=True)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, unique=True, null=False)
    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True, null=False)
    checked_in_at = Timestamptz()  # when the door saw the person (the client's scan time, else the server's)
    recorded_at = Timestamptz()  # when the server stored it
    method = Varchar(length=20, choices=CheckinMethod)
    by_user_id = Integer(null=True, default=None)
    client_nonce = Varchar(length=100, null=True, default=None, unique=True)


class DoorScan(Table, tablename="door_scan"):
    id = Serial(primary_key=True)
    session_id = Integer(null=True, default=None, index=True)  # the door's session, else the registration's
    registration_id = Integer(null=True, default=None, index=True)
    outcome = Varchar(length=20)  # a CheckinResult, or "forbidden" / "undone"
    reason = Varchar(length=40, default="")
    method = Varchar(length=20, default="")
    by_user_id = Integer(null=True, default=None)
    scanned_at = Timestamptz()  # the client's scan time, else the server's
    recorded_at = Timestamptz()
    client_nonce = Varchar(length=100, null=True, default=None, unique=True)


class NoShow(Table, tablename="no_show"):
    id = Serial(primary_key=True)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, unique=True, null=False)
    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True, null=False)
    marked_at = Timestamptz()


class WalkInCount(Table, tablename="walk_in_count"):
    """People who came without registering (a café's head-count), one row per session."""

    id = Serial(primary_key=True)
    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, unique=True, null=False)
    head_count = Integer(default=0)
    updated_at = Timestamptz()
