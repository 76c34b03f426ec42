"""The users service on both databases: phone rules, password rules, roles, vendor links."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from merchant_app.users import (
    InvalidUserInput,
    PhoneTaken,
    Role,
    authenticate,
    create_user,
    get_user,
    normalize_phone,
)
from merchant_app.users.tables import users
from tests.merchant_app.pages.site import PASSWORD, START


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("091.234.5678", "0912345678"),
    ],
)
def test_phone_numbers_are_normalized(raw: str, normal: str) -> None:
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["", "12345", "0112345678", "09123456789", "abcdefghij", "0" * 40])
def test_bad_phone_numbers_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidUserInput) as caught:
        normalize_phone(raw)
    assert caught.value.field == "phone"


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(users)).scalar_one())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"display_name": "   "}, "name"),
        ({"display_name": "N" * 81}, "name"),
        ({"role": Role.VENDOR}, "role"),  # a vendor login needs its vendor record
        ({"vendor_id": 7}, "role"),  # and only vendors have one
    ],
)
def test_bad_user_input_raises_and_writes_nothing(
    db: Engine, changes: dict[str, object], field: str
) -> None:
    fields: dict[str, object] = {
        "phone": "0912345678",
        "password": PASSWORD,
        "role": Role.OFFICIAL,
        "display_name": "Cán bộ",
        "now": START,
        **changes,
    }
    with Session(db) as session, pytest.raises(InvalidUserInput) as caught:
        create_user(session, **fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert _count(db) == 0


def test_a_phone_number_registers_once(db: Engine) -> None:
    with Session(db) as session, session.begin():
        first = create_user(
            session,
            phone="0912345678",
            password=PASSWORD,
            role=Role.VENDOR,
            display_name="Cô Lan",
            now=START,
            vendor_id=3,
        )
    with Session(db) as session, pytest.raises(PhoneTaken):
        create_user(
            session,
            phone="+84912345678",
            password=PASSWORD,
            role=Role.OFFICIAL,
            display_name="Khác",
            now=START,
        )
    with Session(db) as session:
        again = get_user(session, first.id)
        assert again is not None
        assert (again.role, again.vendor_id, again.phone) == (Role.VENDOR, 3, "0912345678")
        assert authenticate(session, phone="84912345678", password=PASSWORD, now=START) == again
    assert _count(db) == 1
