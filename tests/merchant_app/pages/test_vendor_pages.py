"""Vendor pages over HTTP: accounts, stickers, per-sale QR, feed, takings, history, bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.requests import REQUEST_TTL_S
from payments.tables import receiving_accounts
from qr import parse, scan
from tests.merchant_app.pages.site import csrf_of, login
from tests.merchant_app.pages.world import BIDV, BUYER, TCB, VCB, World, open_bank_accounts


def _accounts(world: World) -> int:
    with Session(world.site.engine) as session:
        query = select(func.count()).select_from(receiving_accounts)
        return int(session.execute(query).scalar_one())


@pytest.fixture
def vendor_a(world: World):  # type: ignore[no-untyped-def]
    client = world.site.client()
    login(client, world.vendor_a.phone)
    return client


def test_adding_an_account_shows_the_holder_from_name_inquiry(world: World, vendor_a) -> None:  # type: ignore[no-untyped-def]
    open_bank_accounts(
        world.payments, world.site.clock.now(), [(TCB, "7788990011", "Nguyễn Thị Lan")]
    )
    token = csrf_of(vendor_a.get("/v/accounts").text)
    before = _accounts(world)
    response = vendor_a.post(
        "/v/accounts", data={"csrf_token": token, "bin": TCB, "account": "7788990011"}
    )
    assert response.status_code == 200
    assert "Đã thêm tài khoản Techcombank của NGUYEN THI LAN." in response.text
    assert "••••0011" in response.text
    assert _accounts(world) == before + 1


BAD_ACCOUNTS = (
    ("", "0011223399", "Ngân hàng không có trong danh sách."),
    ("999999", "0011223399", "Ngân hàng không có trong danh sách."),
    ("97043", "0011223399", "Ngân hàng không có trong danh sách."),
    (VCB, "", "Số tài khoản chỉ gồm chữ số"),
    (VCB, "12ab567", "Số tài khoản chỉ gồm chữ số"),
    (VCB, "1" * 20, "Số tài khoản chỉ gồm chữ số"),
    (VCB, "123", "Số tài khoản chỉ gồm chữ số"),
    (VCB, "4444444444", "Ngân hàng không tìm thấy số tài khoản này."),
    (VCB, "0011223344", "Tài khoản này đã được thêm."),
)


def test_bad_account_input_is_refused_in_vietnamese_and_changes_nothing(
    world: World,
    vendor_a,  # type: ignore[no-untyped-def]
) -> None:
    token = csrf_of(vendor_a.get("/v/accounts").text)
    before = _accounts(world)
    for bin_code, account, message in BAD_ACCOUNTS:
        response = vendor_a.post(
            "/v/accounts", data={"csrf_token": token, "bin": bin_code, "account": account}
        )
        assert response.status_code in (400, 404, 409), (bin_code, account)
        assert message in response.text, (bin_code, account)
        assert f'value="{account}"' in response.text  # the form keeps what was typed
    assert _accounts(world) == before


def _render_pdf(pdf: bytes, tmp_path: Path) -> list[bytes]:
    (tmp_path / "s.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(tmp_path / "s.pdf"), str(tmp_path / "p")], check=True
    )
    return [p.read_bytes() for p in sorted(tmp_path.glob("p*.png"))]


def test_sticker_pdf_decodes_back_to_the_account(world: World, vendor_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    account_id = world.vendor_a.account_ids[1]
    response = vendor_a.get(f"/v/accounts/{account_id}/sticker.pdf")
    assert response.headers["content-type"] == "application/pdf"
    (page,) = _render_pdf(response.content, tmp_path)
    (payload,) = scan(page)
    code = parse(payload)
    assert (code.bin, code.account, code.point_of_initiation) == (BIDV, "5566778899", "static")


def test_sticker_sheet_carries_every_account(world: World, vendor_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages = _render_pdf(vendor_a.get("/v/stickers.pdf").content, tmp_path)
    found = {parse(p).account for page in pages for p in scan(page)}
    assert found == {number for _, number in world.vendor_a.accounts}


def test_sale_qr_carries_the_amount_and_its_status_follows_payment(world: World, vendor_a) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(vendor_a.get("/v/sell").text)
    response = vendor_a.post(
        "/v/requests",
        data={
            "csrf_token": token,
            "amount": "40.000",
            "account_id": str(world.vendor_a.account_ids[1]),
            "note": "2 kg cam",
        },
    )
    assert response.status_code == 303
    path = response.headers["location"]
    page = vendor_a.get(path)
    assert "40.000 đ" in page.text
    assert 'data-status="pending"' in page.text
    (payload,) = scan(vendor_a.get(path + "/qr.png").content)
    code = parse(payload)
    assert (code.amount, code.bin, code.point_of_initiation) == (40_000, BIDV, "dynamic")
    status = vendor_a.get(path + "/status").json()
    assert (status["status"], status["status_text"]) == ("pending", "Đang chờ")
    paid = vendor_a.get(f"/v/requests/{world.request_id}/status").json()
    assert (paid["status"], paid["paid_dong"]) == ("paid", 25_000)
    world.site.clock.advance(REQUEST_TTL_S)
    expired = vendor_a.get(path + "/status").json()
    assert (expired["status"], expired["status_text"]) == ("expired", "Hết hạn")
    assert "Hết hạn" in vendor_a.get("/v/requests").text


BAD_SALES = (
    ("", "", "Số tiền phải là số nguyên đồng"),
    ("abc", "", "Số tiền phải là số nguyên đồng"),
    ("1.5", "", "Số tiền phải là số nguyên đồng"),
    ("-5000", "", "Số tiền phải là số nguyên đồng"),
    ("0", "", "Số tiền phải là số nguyên đồng"),
    ("500", "", "Số tiền phải từ 1.000 đ"),
    ("999999999999", "", "Số tiền phải từ 1.000 đ"),
    ("25000", "x" * 61, "Ghi chú (không bắt buộc) quá dài"),
)


def test_bad_sale_input_is_refused_and_creates_no_request(world: World, vendor_a) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(vendor_a.get("/v/sell").text)
    before = world.request_count()
    account_id = str(world.vendor_a.account_ids[0])
    for amount, note, message in BAD_SALES:
        data = {"csrf_token": token, "amount": amount, "note": note, "account_id": account_id}
        response = vendor_a.post("/v/requests", data=data)
        assert response.status_code == 400, amount
        assert message in response.text, amount
    assert world.request_count() == before


def test_home_shows_today_and_month_takings_by_bank(world: World, vendor_a) -> None:  # type: ignore[no-untyped-def]
    html = vendor_a.get("/v").text
    today = html.split('data-period="today"')[1].split('data-period="month"')[0]
    assert 'data-total="25000"' in today
    assert "Vietcombank" in today
    assert 'data-total="25000"' in html.split('data-period="month"')[1]


def test_history_search_by_amount_bank_and_reference(world: World, vendor_a) -> None:  # type: ignore[no-untyped-def]
    assert vendor_a.get("/v/history?q=25000").text.count("25.000 đ") >= 1
    assert "Chưa có giao dịch." in vendor_a.get("/v/history?q=99999").text
    assert "25.000 đ" in vendor_a.get("/v/history?q=Vietcombank").text
    assert "25.000 đ" in vendor_a.get(f"/v/history?q={world.reference}").text
    too_long = vendor_a.get("/v/history?q=" + "x" * 41)
    assert too_long.status_code == 400
    assert "Từ khóa tìm kiếm quá dài." in too_long.text


def test_feed_stream_sends_the_announcement_without_the_buyer(world: World, vendor_a) -> None:  # type: ignore[no-untyped-def]
    with vendor_a.stream("GET", "/v/feed/stream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    event = json.loads(lines[-1].removeprefix("data:"))
    assert event["announcement"] == "Đã nhận 25.000 đồng"
    assert event["spoken"] == "Đã nhận hai mươi lăm nghìn đồng"
    assert "event: payment" in lines
    text = "\n".join(lines)
    for secret in world.buyer_secrets():
        assert secret not in text
    assert BUYER[1] not in text
