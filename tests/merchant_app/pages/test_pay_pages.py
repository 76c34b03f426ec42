"""Buyer pages over HTTP: photo upload -> payee -> pay -> receipt, retries, bad input."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from merchant_app.pages.pay import UPLOAD_MAX_BYTES
from payments import directory
from tests.merchant_app.pages.site import csrf_of
from tests.merchant_app.pages.world import BUYER, BUYER_FUNDS_DONG, TCB, World

_HIDDEN = re.compile(r'name="(payload|client_transfer_id)" value="([^"]+)"')


def _png_of_payload(world: World, payload: str) -> bytes:
    from merchant_app.pages.banking import qr_png

    return qr_png(payload)


def _static_payload(world: World) -> str:
    with Session(world.site.engine) as session:
        account = directory.receiving_account(session.connection(), world.vendor_a.account_ids[0])
    return account.static_payload


def _upload(client: TestClient, content: bytes, name: str = "photo.png"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/pay").text)
    return client.post(
        "/pay", data={"csrf_token": token}, files={"photo": (name, content, "image/png")}
    )


def _balance(world: World) -> int:
    return world.payments.banks.balance_dong(BUYER[0], BUYER[1])


def test_scan_page_asks_for_the_camera(world: World) -> None:
    html = world.site.client().get("/pay").text
    assert 'type="file" accept="image/*" capture="environment"' in html


def test_static_sticker_pay_and_retry_charges_once(world: World) -> None:
    client = world.site.client()
    confirm = _upload(client, _png_of_payload(world, _static_payload(world)))
    assert confirm.status_code == 200
    assert 'id="payee-name"><strong>NGUYEN THI LAN</strong>' in confirm.text
    assert 'name="amount"' in confirm.text  # a sticker has no amount: the buyer types it
    hidden = dict(_HIDDEN.findall(confirm.text))
    form = {
        **hidden,
        "csrf_token": csrf_of(confirm.text),
        "amount": "30.000",
        "from_bin": BUYER[0],
        "from_account": BUYER[1],
    }
    before = _balance(world)
    first = client.post("/pay/confirm", data=form)
    again = client.post("/pay/confirm", data=form)  # the network dropped; the phone retries
    for receipt in (first, again):
        assert receipt.status_code == 200
        assert "Đã trả 30.000 đ cho NGUYEN THI LAN." in receipt.text
        assert hidden["client_transfer_id"] in receipt.text
    assert _balance(world) == before - 30_000


def test_dynamic_code_amount_is_fixed(world: World) -> None:
    client = world.site.client()
    confirm = _upload(client, _png_of_payload(world, world.request_payload))
    assert 'id="fixed-amount"><strong>25.000 đ</strong>' in confirm.text
    assert 'name="amount"' not in confirm.text
    hidden = dict(_HIDDEN.findall(confirm.text))
    before = _balance(world)
    changed = client.post(
        "/pay/confirm",
        data={
            **hidden,
            "csrf_token": csrf_of(confirm.text),
            "amount": "1.000",
            "from_bin": BUYER[0],
            "from_account": BUYER[1],
        },
    )
    assert changed.status_code == 400
    assert "do người bán đặt, không sửa được" in changed.text
    assert _balance(world) == before


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(out, "PNG")
    return out.getvalue()


BAD_UPLOADS = (
    (b"", "photo.png", 400, "Vui lòng chụp hoặc chọn ảnh mã QR."),
    (b"this is not an image at all", "photo.png", 400, "Tệp này không phải là ảnh."),
    (None, "photo.png", 400, "Không đọc được mã QR trong ảnh."),
    (b"\xff" * (UPLOAD_MAX_BYTES + 1), "big.jpg", 413, "Ảnh quá lớn (tối đa 8 MB)."),
)


def test_bad_uploads_get_a_vietnamese_message(world: World) -> None:
    before = _balance(world)
    client = world.site.client()
    for content, name, status, message in BAD_UPLOADS:
        response = _upload(client, _blank_png() if content is None else content, name)
        assert response.status_code == status, message
        assert message in response.text
    assert _balance(world) == before


def test_upload_needs_the_csrf_token(world: World) -> None:
    client = world.site.client()
    client.get("/pay")
    response = client.post("/pay", files={"photo": ("p.png", _blank_png(), "image/png")})
    assert response.status_code == 403


BAD_PAYMENTS = (
    ({"amount": ""}, "Số tiền phải là số nguyên đồng"),
    ({"amount": "ba chục"}, "Số tiền phải là số nguyên đồng"),
    ({"amount": "0"}, "Số tiền phải từ 1.000 đ"),
    ({"amount": "9" * 15}, "Số tiền phải từ 1.000 đ"),
    ({"from_bin": "123456"}, "Ngân hàng không có trong danh sách."),
    ({"from_account": "12-34"}, "Số tài khoản chỉ gồm chữ số"),
    ({"from_account": "5555555555"}, "Ngân hàng không tìm thấy số tài khoản này."),
    ({"amount": str(BUYER_FUNDS_DONG + 1000)}, "Tài khoản không đủ tiền."),
    ({"client_transfer_id": "short"}, "Mã QR không phải mã VietQR hợp lệ."),
    ({"payload": "000201010211"}, "Mã QR không phải mã VietQR hợp lệ."),
)


def test_bad_payment_input_is_refused_and_moves_no_money(world: World) -> None:
    client = world.site.client()
    confirm = _upload(client, _png_of_payload(world, _static_payload(world)))
    base = {
        **dict(_HIDDEN.findall(confirm.text)),
        "csrf_token": csrf_of(confirm.text),
        "amount": "30000",
        "from_bin": TCB,
        "from_account": BUYER[1],
    }
    before = _balance(world)
    for changes, message in BAD_PAYMENTS:
        response = client.post("/pay/confirm", data={**base, **changes})
        assert response.status_code == 400, changes
        assert message in response.text, changes
    assert _balance(world) == before
