"""Errors of the users package, each with an HTTP status and a code.

UserError
├── InvalidUserInput   400  a field is empty, too long or malformed (names the field)
├── PhoneTaken         409  a user with this phone number exists
└── AuthError          401
    ├── InvalidCredentials  401  wrong phone or password (never says which)
    └── TooManyAttempts     429  too many failed logins for this phone; retry later
"""

from __future__ import annotations


class UserError(Exception):
    status_code = 400
    code = "user_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidUserInput(UserError):
    code = "invalid_user_input"


class PhoneTaken(UserError):
    status_code = 409
    code = "phone_taken"


class AuthError(UserError):
    status_code = 401
    code = "unauthorized"


class InvalidCredentials(AuthError):
    code = "invalid_credentials"


class TooManyAttempts(AuthError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
