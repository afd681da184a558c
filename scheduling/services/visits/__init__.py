"""Company visits: employers' hosts propose slots, coordinators approve them, hosts see who comes.

The public surface of this package is what it exports here.
"""

from scheduling.services.visits._access import VisitActor
from scheduling.services.visits.after import follow_ups, interest_of, leave_feedback, mark_interest
from scheduling.services.visits.errors import NotAllowed, NotAVisit, SlotChangeRefused, SlotNotFound, VisitError
from scheduling.services.visits.gate import short_name, visitors, visitors_csv
from scheduling.services.visits.slots import (
    approve_slot,
    decline_slot,
    get_slot,
    list_slots,
    may_still_change,
    propose_slot,
    update_slot,
    withdraw_slot,
)

__all__ = [
    "NotAVisit",
    "NotAllowed",
    "SlotChangeRefused",
    "SlotNotFound",
    "VisitActor",
    "VisitError",
    "approve_slot",
    "decline_slot",
    "follow_ups",
    "get_slot",
    "interest_of",
    "leave_feedback",
    "list_slots",
    "mark_interest",
    "may_still_change",
    "propose_slot",
    "short_name",
    "update_slot",
    "visitors",
    "visitors_csv",
    "withdraw_slot",
]
