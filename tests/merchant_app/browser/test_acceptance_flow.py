"""The acceptance flow in a real browser (system Chromium, headless) against ``marketpay serve``.

A vendor signs up, adds two banks, downloads a sticker whose QR is decoded back from the
rendered PDF, creates a dynamic QR; a buyer uploads a photo of that code and pays; the vendor's
feed shows and speaks the announcement; an official sees the market's numbers change. Every
page is screenshotted at 360 px and 1280 px under test-artifacts/pages/.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter

from merchant_app.cli.serve import SHUTDOWN_GRACE_S
from merchant_app.clock import SystemClock
from merchant_app.database import make_engine
from merchant_app.wiring import build_payments
from qr import parse, scan
from tests.live_server import live_server
from tests.merchant_app.pages.world import BIDV, TCB, VCB, build_market, open_bank_accounts

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "pages"
WIDTHS = (360, 1280)
UI_TIMEOUT_MS = 15_000
STOP_SLACK_S = 5  # process teardown on a loaded machine
VENDOR = {"name": "Cô Lan rau sạch", "phone": "0912111111", "holder": "Nguyễn Thị Lan"}
VENDOR_ACCOUNTS = [(VCB, "0011223344"), (BIDV, "5566778899")]
BUYER = (TCB, "1900123456", "Trần Văn Bình")
PASSWORD = "mat-khau-an-toan"
OFFICIAL_PHONE = "0912000001"
# Records what the page asks the browser to say (the browser API is not ours to stub out).
SPEECH_SPY = """
window.__spoken = [];
const speakOriginal = window.speechSynthesis.speak.bind(window.speechSynthesis);
window.speechSynthesis.speak = (u) => { window.__spoken.push([u.text, u.lang]); speakOriginal(u); };
"""


def shoot(page: Any, name: str) -> None:
    """Screenshots at each width; at 360 px nothing may be wider than the screen."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        if width == 360:
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 360, f"{name} is {overflow} px wide at 360 px"
    page.set_viewport_size(original)


def seed(data_dir: Path) -> int:
    """The market, the banks and their customers the flow needs (as a bank and a market
    board would set them up), written straight into the server's database."""
    engine = make_engine(f"sqlite:///{data_dir / 'marketpay.db'}")
    clock = SystemClock()
    payments = build_payments(engine, clock)
    market_id = build_market(engine)
    holders = [(b, n, VENDOR["holder"]) for b, n in VENDOR_ACCOUNTS]
    open_bank_accounts(payments, clock.now(), [*holders, BUYER])
    payments.banks.deposit(BUYER[0], BUYER[1], 2_000_000, deposit_id="buyer-cash-in")
    engine.dispose()
    return market_id


def add_official(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPAY_")}
    env["MARKETPAY_DATA_DIR"] = str(data_dir)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "merchant_app",
            "user",
            "add",
            "--role",
            "official",
            "--phone",
            OFFICIAL_PHONE,
            "--name",
            "Sở Công Thương",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )


def photo_of(png: bytes, path: Path) -> Path:
    """A phone-like photo of the screen: on a grey table, turned a little, softened, JPEG."""
    code = Image.open(io.BytesIO(png)).convert("RGB")
    scene = Image.new("RGB", (code.width * 2, code.height * 2), (120, 118, 110))
    scene.paste(code, (code.width // 2, code.height // 3))
    scene = scene.rotate(4, expand=False, fillcolor=(120, 118, 110))
    scene = scene.filter(ImageFilter.GaussianBlur(1.2))
    scene.save(path, "JPEG", quality=80)
    return path


def decode_pdf_qr(pdf: Path) -> str:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(prefix)], check=True)
    (rendered,) = sorted(pdf.parent.glob(prefix.name + "*.png"))
    (payload,) = scan(rendered.read_bytes())
    return payload


def number(page: Any, key: str) -> int:
    text = page.inner_text(f'[data-key="{key}"]')
    return int(text.split()[0].replace(".", ""))


@pytest.mark.browser
def test_vendor_buyer_official_flow(browser: Any, tmp_path: Path) -> None:
    contexts: list[Any] = []
    try:
        with live_server(tmp_path) as base_url:
            _flow(browser, base_url, tmp_path, contexts)
            stopping = time.monotonic()
        # The vendor's live feed is still open: stopping must not wait for it to end.
        assert time.monotonic() - stopping < SHUTDOWN_GRACE_S + STOP_SLACK_S
    finally:
        for context in contexts:
            context.close()


def _flow(browser: Any, base_url: str, tmp_path: Path, contexts: list[Any]) -> None:
    market_id = seed(tmp_path)
    add_official(tmp_path)
    vendor_ctx = browser.new_context(
        base_url=base_url, viewport={"width": 360, "height": 800}, accept_downloads=True
    )
    contexts.append(vendor_ctx)
    vendor_ctx.add_init_script(SPEECH_SPY)
    vendor_ctx.set_default_timeout(UI_TIMEOUT_MS)
    vendor = vendor_ctx.new_page()
    _vendor_signs_up_and_adds_banks(vendor, market_id)
    _sticker_decodes_back(vendor, tmp_path)
    _request_id, photo = _vendor_creates_dynamic_qr(vendor, tmp_path)

    feed = vendor_ctx.new_page()
    feed.goto("/v/feed")
    feed.click("#feed-sound")
    feed.wait_for_selector('#feed[data-connected="1"]', state="attached")
    shoot(feed, "vendor-feed")

    official_ctx = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    contexts.append(official_ctx)
    official_ctx.set_default_timeout(UI_TIMEOUT_MS)
    official = official_ctx.new_page()
    _log_in(official, OFFICIAL_PHONE)
    official.goto(f"/dashboard?market={market_id}")
    before = number(official, "qr_count")
    value_before = number(official, "qr_value")
    shoot(official, "dashboard")

    buyer_ctx = browser.new_context(base_url=base_url, viewport={"width": 360, "height": 800})
    contexts.append(buyer_ctx)
    buyer_ctx.set_default_timeout(UI_TIMEOUT_MS)
    _buyer_pays(buyer_ctx.new_page(), photo)

    feed.wait_for_selector("#feed li")
    assert feed.inner_text("#feed li").strip().endswith("Đã nhận 25.000 đồng")
    spoken = feed.evaluate("window.__spoken")
    assert spoken == [["Đã nhận hai mươi lăm nghìn đồng", "vi-VN"]]
    shoot(feed, "vendor-feed-paid")
    vendor.wait_for_selector('#request-status[data-status="paid"]')
    assert vendor.inner_text("#request-status") == "Đã trả"

    official.reload()
    assert number(official, "qr_count") == before + 1
    assert number(official, "qr_value") == value_before + 25_000
    shoot(official, "dashboard-after")
    _remaining_pages(vendor, official)


def _log_in(page: Any, phone: str) -> None:
    page.goto("/login")
    shoot(page, "login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Đăng nhập')")
    page.wait_for_load_state()


def _vendor_signs_up_and_adds_banks(page: Any, market_id: int) -> None:
    page.goto("/")
    shoot(page, "home")
    page.goto("/signup")
    shoot(page, "signup")
    page.fill("#name", VENDOR["name"])
    page.fill("#phone", VENDOR["phone"])
    page.select_option("#market", str(market_id))
    page.fill("#stall", "12")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Tạo tài khoản')")
    page.wait_for_url(re.compile(r"/v$"))
    assert "Xin chào, Cô Lan rau sạch" in page.inner_text("h1")
    shoot(page, "vendor-home-empty")
    for bank_bin, account in VENDOR_ACCOUNTS:
        page.goto("/v/accounts")
        page.select_option("#bank", bank_bin)
        page.fill("#account", account)
        page.click("button[type=submit]:has-text('Thêm tài khoản')")
        assert "NGUYEN THI LAN" in page.inner_text(".notice")
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    shoot(page, "vendor-accounts")


def _sticker_decodes_back(page: Any, tmp_path: Path) -> None:
    with page.expect_download() as download:
        page.locator("a:has-text('Tải tem A6 (PDF)')").first.click()
    pdf = tmp_path / "sticker.pdf"
    download.value.save_as(pdf)
    code = parse(decode_pdf_qr(pdf))
    assert (code.bin, code.account) == VENDOR_ACCOUNTS[0]
    assert code.point_of_initiation == "static"


def _vendor_creates_dynamic_qr(page: Any, tmp_path: Path) -> tuple[int, Path]:
    page.goto("/v/sell")
    shoot(page, "vendor-sell")
    page.fill("#amount", "25.000")
    page.click("button[type=submit]:has-text('Tạo mã QR')")
    page.wait_for_url(re.compile(r"/v/requests/\d+$"))
    request_id = int(page.url.rsplit("/", 1)[1])
    assert page.inner_text(".amount") == "25.000 đ"
    assert page.inner_text("#request-status") == "Đang chờ"
    shoot(page, "vendor-request-qr")
    png = page.request.get(f"/v/requests/{request_id}/qr.png").body()
    return request_id, photo_of(png, tmp_path / "photo.jpg")


def _buyer_pays(page: Any, photo: Path) -> None:
    page.goto("/pay")
    shoot(page, "pay")
    page.set_input_files("#photo", str(photo))
    page.click("button[type=submit]:has-text('Đọc mã')")
    page.wait_for_selector("#payee-name")
    assert page.inner_text("#payee-name") == "NGUYEN THI LAN"
    assert "Vietcombank" in page.inner_text("#payee-bank")
    assert page.inner_text("#fixed-amount") == "25.000 đ"
    shoot(page, "pay-confirm")
    page.select_option("#from_bin", BUYER[0])
    page.fill("#from_account", BUYER[1])
    page.click("button[type=submit]:has-text('Xác nhận trả')")
    page.wait_for_selector("#receipt-text")
    assert "Đã trả 25.000 đ cho NGUYEN THI LAN." in page.inner_text("#receipt-text")
    shoot(page, "pay-receipt")
    # A buyer is nobody's vendor: the vendor pages answer 401 with a way to log in.
    response = page.goto("/v/history")
    assert response is not None
    assert response.status == 401
    assert "Bạn cần đăng nhập" in page.inner_text("main")
    shoot(page, "error-401")


def _remaining_pages(vendor: Any, official: Any) -> None:
    vendor.goto("/v")
    assert vendor.get_attribute('[data-period="today"] .big-number', "data-total") == "25000"
    shoot(vendor, "vendor-home")
    vendor.goto("/v/requests")
    shoot(vendor, "vendor-requests")
    vendor.goto("/v/history?q=25000")
    assert vendor.locator("table tbody tr").count() == 1
    shoot(vendor, "vendor-history")
    vendor.goto("/v/accounts?lang=en")
    assert "Receiving accounts" in vendor.inner_text("h1")
    shoot(vendor, "vendor-accounts-en")
    official.goto("/dashboard")
    shoot(official, "dashboard-province")
