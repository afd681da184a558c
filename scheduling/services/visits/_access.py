"""Who may do what with an employer's visit slots.

A host is bound to one employer and acts only for it; staff read every employer's
slots; coordinators (and admins) also change them, approve and decline. The HTTP
layer turns its account into a :class:`VisitActor`, so this domain needs no accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.services.visits.errors import NotAllowed


@dataclass(frozen=True, slots=True)
class VisitActor:
    user_id: int
    host_of: int | None = None  # the employer of a host
    staff: bool = False  # reads every employer's slots
    coordinator: bool = False  # changes every employer's slots, approves and declines

    @property
    def label(self) -> str:
        """For histories and audit columns: ``host:7``, ``staff:3``."""
        return f"host:{self.user_id}" if self.host_of is not None else f"staff:{self.user_id}"


def may_read(actor: VisitActor, employer_id: int) -> bool:
    return actor.staff or actor.coordinator or actor.host_of == employer_id


def may_change(actor: VisitActor, employer_id: int) -> bool:
    return actor.coordinator or actor.host_of == employer_id


def require_employer(actor: VisitActor, employer_id: int, *, change: bool) -> None:
    """403 unless the actor may read (or, with ``change``, change) this employer's slots."""
    allowed = may_change(actor, employer_id) if change else may_read(actor, employer_id)
    if not allowed:
        if actor.host_of is not None:
            raise NotAllowed("You are a host of another employer; you can only manage your own employer's visits.")
        raise NotAllowed("Only the employer's hosts and coordinators may do this.")


def require_coordinator(actor: VisitActor) -> None:
    if not actor.coordinator:
        raise NotAllowed("Only a coordinator may approve or decline a visit slot.")
