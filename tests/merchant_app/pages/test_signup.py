"""Vendor sign-up: one form creates the directory vendor and its login, or nothing at all."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from merchant_app.users.tables import users
from payments.tables import vendors
from tests.merchant_app.pages.site import csrf_of
from tests.merchant_app.pages.world import World


def _counts(world: World) -> tuple[int, int]:
    with Session(world.site.engine) as session:
        return (
            int(session.execute(select(func.count()).select_from(vendors)).scalar_one()),
            int(session.execute(select(func.count()).select_from(users)).scalar_one()),
        )


def _form(world: World, **changes: str) -> dict[str, str]:
    return {
        "name": "Bà Tư bán gà",
        "phone": "0987654321",
        "market_id": str(world.market_id),
        "stall": "7",
        "category": "gà",
        "password": "mat-khau-cua-ba",
        **changes,
    }


def test_signup_creates_vendor_and_login_and_logs_in(world: World) -> None:
    client = world.site.client()
    token = csrf_of(client.get("/signup").text)
    response = client.post("/signup", data={**_form(world), "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/v"
    assert "Xin chào, Bà Tư bán gà" in client.get("/v").text
    assert "Chưa có tài khoản nhận tiền" in client.get("/v/accounts").text


BAD_SIGNUPS = (
    ({"name": ""}, "Vui lòng điền: Tên người bán"),
    ({"name": "N" * 81}, "quá dài (tối đa 80 ký tự)"),
    ({"phone": "12345"}, "Số điện thoại không hợp lệ"),
    ({"phone": "0912111111"}, "Số điện thoại này đã được đăng ký."),
    ({"market_id": "999"}, "Vui lòng chọn chợ trong danh sách."),
    ({"market_id": "chợ"}, "Vui lòng chọn chợ trong danh sách."),
    ({"stall": "S" * 17}, "quá dài (tối đa 16 ký tự)"),
    ({"password": "ngan"}, "Mật khẩu phải có ít nhất 8 ký tự."),
    ({"password": "p" * 129}, "Mật khẩu quá dài"),
)


def test_bad_signup_shows_vietnamese_message_and_creates_nothing(world: World) -> None:
    client = world.site.client()
    token = csrf_of(client.get("/signup").text)
    before = _counts(world)
    for changes, message in BAD_SIGNUPS:
        response = client.post("/signup", data={**_form(world, **changes), "csrf_token": token})
        assert response.status_code == 400, changes
        assert message in response.text, changes
        if "name" not in changes:
            assert 'value="Bà Tư bán gà"' in response.text  # the form keeps what was typed
    assert _counts(world) == before
