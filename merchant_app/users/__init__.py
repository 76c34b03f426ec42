"""People who log in: vendors, officials and operators (phone number + argon2 password)."""

from merchant_app.users.errors import (
    AuthError,
    InvalidCredentials,
    InvalidUserInput,
    PhoneTaken,
    TooManyAttempts,
    UserError,
)
from merchant_app.users.model import Role, User
from merchant_app.users.service import (
    authenticate,
    create_user,
    get_user,
    normalize_phone,
)
from merchant_app.users.tables import metadata

__all__ = [
    "AuthError",
    "InvalidCredentials",
    "InvalidUserInput",
    "PhoneTaken",
    "Role",
    "TooManyAttempts",
    "User",
    "UserError",
    "authenticate",
    "create_user",
    "get_user",
    "metadata",
    "normalize_phone",
]
