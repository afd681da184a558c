"""The staff roles. ``admin`` may do everything any other role may do."""

from enum import Enum


class Role(str, Enum):
    admin = "admin"
    coordinator = "coordinator"
    facilitator = "facilitator"
    host = "host"

    @classmethod
    def values(cls) -> list[str]:
        return [role.value for role in cls]


STAFF_ROLES = (Role.admin, Role.coordinator, Role.facilitator)
