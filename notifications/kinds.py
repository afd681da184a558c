"""The kinds of message Treffpunkt sends."""

from enum import StrEnum


class MessageKind(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    promoted = "promoted"
    reminder_day_before = "reminder_day_before"
    reminder_two_hours = "reminder_two_hours"
    session_cancelled = "session_cancelled"
    session_moved = "session_moved"
    session_restored = "session_restored"
    slot_approved = "slot_approved"
    slot_declined = "slot_declined"
    staff_message = "staff_message"  # staff's own words to everyone in a session (notifications.broadcast)
    host_digest = "host_digest"  # a host's daily summary of sign-ups (notifications.digest)


# Messages to a host (staff account) rather than to a participant.
FOR_HOSTS = {MessageKind.slot_approved, MessageKind.slot_declined, MessageKind.host_digest}

# Messages that carry the calendar entry and the QR code.
WITH_TICKET = {MessageKind.confirmed, MessageKind.promoted, MessageKind.session_moved}
