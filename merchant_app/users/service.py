"""Creating users and logging in, with a per-phone rate limit on failed attempts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from merchant_app.users.errors import (
    InvalidCredentials,
    InvalidUserInput,
    PhoneTaken,
    TooManyAttempts,
)
from merchant_app.users.model import Role, User
from merchant_app.users.passwords import (
    PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
    hash_password,
    verify_password,
)
from merchant_app.users.tables import DISPLAY_NAME_MAX_CHARS, login_attempts, users

LOGIN_MAX_FAILURES = 5  # failed logins per phone within the window before logins are refused
LOGIN_WINDOW_S = 15 * 60
PHONE_INPUT_MAX_CHARS = 20

_VN_MOBILE = re.compile(r"^0[35789]\d{8}$")


def normalize_phone(raw: str) -> str:
    """A Vietnamese mobile number as 10 digits starting with 0 (accepts +84 / 84 / spaces)."""
    if len(raw) > PHONE_INPUT_MAX_CHARS:
        raise InvalidUserInput("phone: too long", field="phone")
    digits = re.sub(r"[\s.\-]", "", raw.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _VN_MOBILE.match(digits):
        raise InvalidUserInput(f"phone {raw!r}: not a Vietnamese mobile number", field="phone")
    return digits


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_CHARS:
        raise InvalidUserInput(
            f"password: at least {PASSWORD_MIN_CHARS} characters", field="password"
        )
    if len(password) > PASSWORD_MAX_CHARS:
        raise InvalidUserInput(
            f"password: at most {PASSWORD_MAX_CHARS} characters", field="password"
        )


def check_display_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidUserInput("name: empty", field="name")
    if len(cleaned) > DISPLAY_NAME_MAX_CHARS:
        raise InvalidUserInput(f"name: at most {DISPLAY_NAME_MAX_CHARS} characters", field="name")
    return cleaned


def create_user(
    session: Session,
    *,
    phone: str,
    password: str,
    role: Role,
    display_name: str,
    now: datetime,
    vendor_id: int | None = None,
) -> User:
    """Add a user; the caller's transaction commits it. Bad input raises and writes nothing."""
    phone = normalize_phone(phone)
    check_password_rules(password)
    display_name = check_display_name(display_name)
    if (role is Role.VENDOR) != (vendor_id is not None):
        raise InvalidUserInput("vendor_id: required for vendors and only for them", field="role")
    if session.execute(select(users.c.id).where(users.c.phone == phone)).first() is not None:
        raise PhoneTaken(f"phone {phone}: already registered", field="phone")
    new_id = session.execute(
        insert(users)
        .values(
            phone=phone,
            role=role.value,
            display_name=display_name,
            password_hash=hash_password(password),
            vendor_id=vendor_id,
            created_at=now,
        )
        .returning(users.c.id)
    ).scalar_one()
    return User(new_id, phone, role, display_name, vendor_id, now)


def get_user(session: Session, user_id: int) -> User | None:
    row = session.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return None if row is None else _to_user(row)


def authenticate(session: Session, *, phone: str, password: str, now: datetime) -> User:
    """Check a login. Every attempt is recorded; too many recent failures refuse the phone.

    The attempt row is written in the caller's transaction, which must commit even when this
    raises InvalidCredentials (the pages do), or the limit would never count anything.
    """
    try:
        phone = normalize_phone(phone)
    except InvalidUserInput:
        raise InvalidCredentials("wrong phone number or password") from None
    _check_rate_limit(session, phone, now)
    row = session.execute(select(users).where(users.c.phone == phone)).mappings().first()
    password_ok = verify_password(
        None if row is None else str(row["password_hash"]), password[: PASSWORD_MAX_CHARS + 1]
    )
    ok = row is not None and password_ok and len(password) <= PASSWORD_MAX_CHARS
    session.execute(insert(login_attempts).values(phone=phone, succeeded=ok, at=now))
    if not ok or row is None:
        raise InvalidCredentials("wrong phone number or password")
    return _to_user(row)


def _check_rate_limit(session: Session, phone: str, now: datetime) -> None:
    since = now - timedelta(seconds=LOGIN_WINDOW_S)
    last_success = session.execute(
        select(func.max(login_attempts.c.at)).where(
            login_attempts.c.phone == phone, login_attempts.c.succeeded.is_(True)
        )
    ).scalar_one_or_none()
    if last_success is not None:
        since = max(since, _aware(last_success, now))
    failures = session.execute(
        select(func.count(), func.min(login_attempts.c.at)).where(
            login_attempts.c.phone == phone,
            login_attempts.c.succeeded.is_(False),
            login_attempts.c.at > since,
        )
    ).one()
    if failures[0] >= LOGIN_MAX_FAILURES:
        oldest = _aware(failures[1], now)
        window_ends = oldest + timedelta(seconds=LOGIN_WINDOW_S)
        retry_after_s = max(1, int((window_ends - now).total_seconds()))
        raise TooManyAttempts(
            f"phone {phone}: too many failed logins; try again in {retry_after_s} s",
            retry_after_s=retry_after_s,
        )


def _aware(value: datetime, like: datetime) -> datetime:
    # SQLite returns naive datetimes; they were stored in the clock's zone.
    return value.replace(tzinfo=like.tzinfo) if value.tzinfo is None else value


def _to_user(row: RowMapping) -> User:
    vendor_id = row["vendor_id"]
    return User(
        id=int(row["id"]),
        phone=str(row["phone"]),
        role=Role(row["role"]),
        display_name=str(row["display_name"]),
        vendor_id=None if vendor_id is None else int(vendor_id),
        created_at=row["created_at"],
    )
