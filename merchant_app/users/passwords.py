"""Password hashing with argon2id at OWASP's recommended minimum cost.

OWASP's Password Storage Cheat Sheet: argon2id with 19 MiB of memory, 2 iterations, 1 lane.
argon2-cffi's default (64 MiB, 3 iterations, 4 lanes) costs ~0.5 s of CPU per login on our 2-core
market servers, which would make every login a denial-of-service lever; this profile keeps
GPU cracking expensive (memory-hard) at a fraction of that. Existing hashes carry their own
parameters, so raising these later re-hashes nothing and breaks no login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_CHARS = 128  # argon2 would take more; a bound keeps request work bounded

ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
)
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
