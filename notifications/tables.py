"""The outbox: one row per message to send. The database, not Redis, is the source of truth."""

from __future__ import annotations

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxMessage(Table, tablename="outbox_message"):
    id = Serial(primary_key=True)
    dedupe_key = Varchar(length=200, unique=True)  # one message per (kind, registration, session[, change])
    kind = Varchar(length=40, index=True)
    registration_id = Integer(null=True, default=None, index=True)
    session_id = Integer(null=True, default=None, index=True)
    staff_user_id = Integer(null=True, default=None)  # for messages to hosts (no registration)
    status = Varchar(length=20, default="pending", index=True)  # pending, sending, sent, failed, skipped
    not_before = Timestamptz(index=True)
    attempts = Integer(default=0)
    claimed_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    channel = Varchar(length=10, default="")  # email, sms, log (set when sent)
    language = Varchar(length=12, default="")
    subject = Varchar(length=300, default="")
    body = Text(default="")  # what was sent (kept for the outbox log; erased by retention)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz()
