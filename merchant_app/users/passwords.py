"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_CHARS = 128  # argon2 would take more; a bound keeps request work bounded

_HASHER = PasswordHasher()
# Verified against when the phone is unknown, so a wrong phone costs as much as a wrong password
# and response time does not reveal which phone numbers have accounts.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
