"""``marketpay user add``: creates logins; a vendor login links to the vendor with that phone."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from merchant_app.cli import main
from merchant_app.users import Role, authenticate
from merchant_app.users.tables import users
from payments import directory
from payments.directory import MarketDayRule

NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)


@pytest.fixture
def cli_env(db: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path))
    return db


def _add(monkeypatch: pytest.MonkeyPatch, password: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["user", "add", *args, "--password-stdin"])


def test_official_is_created_and_can_log_in(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _add(
        monkeypatch,
        "mat-khau-dai-hon",
        "--role",
        "official",
        "--phone",
        "0912000001",
        "--name",
        "Phòng Kinh tế",
    )
    assert code == 0
    with Session(cli_env) as session:
        user = authenticate(session, phone="0912000001", password="mat-khau-dai-hon", now=NOW)
    assert (user.role, user.display_name, user.vendor_id) == (Role.OFFICIAL, "Phòng Kinh tế", None)


def test_vendor_login_links_to_the_vendor_with_that_phone(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cli_env.begin() as connection:
        district = directory.create_district(connection, "Đại Từ")
        commune = directory.create_commune(connection, district, "Hùng Sơn")
        market = directory.create_market(
            connection,
            commune,
            "Chợ Đại Từ",
            MarketDayRule("interval", interval_days=5, anchor=NOW.date()),
            0,
        )
        vendor, _ = directory.register_vendor(
            connection,
            market_id=market,
            name="Cô Lan",
            phone="0912345678",
            category="rau",
            stall="1",
            now=NOW,
        )
    assert _add(monkeypatch, "mat-khau-dai-hon", "--role", "vendor", "--phone", "+84912345678") == 0
    with cli_env.connect() as connection:
        linked = connection.execute(select(users.c.vendor_id)).scalar_one()
    assert linked == vendor.id


@pytest.mark.parametrize(
    ("password", "args", "message"),
    [
        ("short", ["--role", "official", "--phone", "0912000001"], "password"),
        ("mat-khau-dai-hon", ["--role", "official", "--phone", "12"], "phone"),
        ("mat-khau-dai-hon", ["--role", "vendor", "--phone", "0912000001"], "no vendor"),
        ("mat-khau-dai-hon", ["--role", "boss", "--phone", "0912000001"], "boss"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_creates_nobody(
    cli_env: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str,
    args: list[str],
    message: str,
) -> None:
    assert _add(monkeypatch, password, *args) == 2
    assert message in capsys.readouterr().err
    with cli_env.connect() as connection:
        assert connection.execute(select(users.c.id)).first() is None
