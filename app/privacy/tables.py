"""Records that privacy work itself needs: who read or changed personal data, and erasures."""

from piccolo.columns import Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """A staff member read or changed personal data (never the data itself)."""

    id = Serial(primary_key=True)
    at = Timestamptz(index=True)
    user_id = Integer(null=True, default=None, index=True)
    action = Varchar(length=40)  # e.g. "roster.read", "participant.erase", "participant.merge"
    subject = Varchar(length=80)  # e.g. "session:12", "participant:7"


class Erasure(Table, tablename="erasure"):
    """A person's details were erased: when, why, by whom. Counts stay in the reports."""

    id = Serial(primary_key=True)
    participant_id = Integer(index=True)
    at = Timestamptz()
    reason = Varchar(length=20)  # "request" (staff), "retention" (the job)
    by_user_id = Integer(null=True, default=None)
