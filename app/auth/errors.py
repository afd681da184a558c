"""Errors of the auth domain.

AuthError
 ├── InvalidUserData        bad e-mail, role, password or employer when creating a user
 ├── UserExists             that e-mail address already has an account
 ├── UnknownUser            no account with that e-mail address
 ├── InvalidCredentials     e-mail and password do not match (deliberately vague)
 └── LoginThrottled         too many failed logins; ``retry_after`` seconds to wait
"""

from __future__ import annotations


class AuthError(Exception):
    """Base class; ``str(error)`` is a sentence a person can act on."""


class InvalidUserData(AuthError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UserExists(AuthError):
    pass


class UnknownUser(AuthError):
    pass


class InvalidCredentials(AuthError):
    pass


class LoginThrottled(AuthError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-in attempts. Try again in {max(1, retry_after // 60)} minutes.")
        self.retry_after = retry_after
