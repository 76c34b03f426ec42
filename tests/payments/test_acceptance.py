"""End to end on both databases: onboarding over the API, stickers scanned from rendered PNGs,
static and dynamic payments, the live feed in order, signed webhooks to a real local HTTP
server, settlement files that net to zero, and a ledger that verifies."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from merchant_app.app import create_app
from merchant_app.settings import load_settings
from merchant_app.wiring import PaymentsWorld
from payments.buyer import BuyerPhone
from payments.clock import ManualClock
from payments.errors import WebhookRejected
from payments.settlement import settlement_for_day, write_settlement_files
from payments.webhooks import WebhookSender, verify_webhook
from qr import render_png, scan
from tests.payments.world import AGRIBANK, BIDV, MB, VIETCOMBANK


class Receiver:
    """A vendor's webhook endpoint: verifies every delivery, keeps each event once."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.secret = ""
        self.seen: set[str] = set()
        self.accepted: list[dict[str, object]] = []
        self.rejected: list[str] = []
        self.lock = threading.Lock()

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            try:
                verify_webhook(self.secret, headers, body, self.clock.now(), self.seen)
            except WebhookRejected as exc:
                self.rejected.append(str(exc))
                # A duplicate is acknowledged (so the sender stops); a forgery is refused.
                return 200 if "already received" in str(exc) else 401
            self.accepted.append(json.loads(body))
            return 200


@pytest.fixture
def receiver(clock: ManualClock) -> Iterator[tuple[Receiver, str]]:
    state = Receiver(clock)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.handle(dict(self.headers.items()), body)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
    thread.join()


def _sse_events(client: TestClient, vendor_id: int, token: str, count: int) -> list[dict]:  # type: ignore[type-arg]
    found: list[dict] = []  # type: ignore[type-arg]
    with client.stream(
        "GET",
        f"/api/v1/vendors/{vendor_id}/feed",
        params={"max_events": count},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line[len("data: ") :]))
    return found


def test_market_day_end_to_end(
    db_url: str, tmp_path: Path, clock: ManualClock, receiver: tuple[Receiver, str]
) -> None:
    hook, hook_url = receiver
    app = create_app(load_settings(data_dir=tmp_path / "data", database_url=db_url))
    app.state.clock = clock
    operator = app.state.settings.operator_token.get_secret_value()
    op = {"Authorization": f"Bearer {operator}"}
    with TestClient(app) as client:
        world: PaymentsWorld = app.state.payments

        # Onboarding: the operator builds the directory and connects banks; buyers and the
        # vendor hold accounts at their banks.
        for bank_bin in (AGRIBANK, MB, VIETCOMBANK, BIDV):
            assert client.post(f"/api/v1/banks/{bank_bin}", headers=op).status_code == 201
        district = client.post("/api/v1/directory/districts", json={"name": "Đại Từ"}, headers=op)
        commune = client.post(
            "/api/v1/directory/communes",
            json={"name": "Hùng Sơn", "district_id": district.json()["id"]},
            headers=op,
        )
        market = client.post(
            "/api/v1/directory/markets",
            json={
                "name": "Chợ Đại Từ",
                "commune_id": commune.json()["id"],
                "day_rule": "lunar",
                "lunar_days": [1, 6, 11, 16, 21, 26],
                "stall_fee_dong": 10_000,
            },
            headers=op,
        )
        registered = client.post(
            "/api/v1/directory/vendors",
            json={
                "name": "Nguyễn Thị Hoa",
                "market_id": market.json()["id"],
                "phone": "0912345678",
                "category": "rau",
                "stall": "A12",
            },
            headers=op,
        )
        assert registered.status_code == 201
        vendor_id, token = registered.json()["id"], registered.json()["api_token"]
        me = {"Authorization": f"Bearer {token}"}
        for bank_bin, number, holder in [
            (AGRIBANK, "3100205123456", "Nguyễn Thị Hoa"),
            (MB, "0912345678", "Nguyễn Thị Hoa"),
            (VIETCOMBANK, "0011001234567", "Trần Văn Bình"),
            (BIDV, "21510000123", "Lò Thị Mai"),
        ]:
            client.post(
                f"/api/v1/banks/{bank_bin}/accounts",
                json={"account_number": number, "holder": holder},
                headers=op,
            )
        for bank_bin, number in [(VIETCOMBANK, "0011001234567"), (BIDV, "21510000123")]:
            deposit = client.post(
                f"/api/v1/banks/{bank_bin}/accounts/{number}/deposits",
                json={"amount_dong": 1_000_000, "deposit_id": f"d-{number}"},
                headers=op,
            )
            assert deposit.json() == {"balance_dong": 1_000_000}
        stickers = []
        for bank_bin, number in [(AGRIBANK, "3100205123456"), (MB, "0912345678")]:
            added = client.post(
                "/api/v1/vendors/me/accounts",
                json={"bank_bin": bank_bin, "account_number": number},
                headers=me,
            )
            assert added.status_code == 201, added.text
            stickers.append(added.json())
        webhook = client.put("/api/v1/vendors/me/webhook", json={"url": hook_url}, headers=me)
        hook.secret = webhook.json()["secret"]

        # Static: the buyer photographs the MB sticker (a rendered PNG) and types 25,000.
        png = render_png(stickers[1]["static_payload"])
        assert scan(png) == [stickers[1]["static_payload"]]
        binh = BuyerPhone(world.switch, payer_bin=VIETCOMBANK, payer_account="0011001234567")
        quote = binh.read(binh.scan(png))
        assert quote.payee_name == "NGUYEN THI HOA"
        first = binh.pay(quote, amount_dong=25_000)
        clock.advance(60)

        # Dynamic: the vendor shows a 48,000 code; another buyer pays it over the API.
        created = client.post(
            "/api/v1/vendors/me/requests",
            json={"receiving_account_id": stickers[0]["id"], "amount_dong": 48_000, "note": "gà"},
            headers=me,
        ).json()
        dynamic_payload = scan(render_png(created["payload"]))[0]
        paid = client.post(
            "/api/v1/switch/payments",
            json={
                "payload": dynamic_payload,
                "payer_bin": BIDV,
                "payer_account": "21510000123",
                "client_transfer_id": "mai-0001",
            },
            headers=op,
        )
        assert paid.status_code == 200, paid.text
        assert paid.json()["match"] == "reference"
        status = client.get(f"/api/v1/vendors/me/requests/{created['id']}", headers=me).json()
        assert (status["status"], status["paid_dong"], status["remaining_dong"]) == (
            "PAID",
            48_000,
            0,
        )
        clock.advance(60)
        third = binh.pay(binh.read(stickers[0]["static_payload"]), amount_dong=7_000)

        feed = _sse_events(client, vendor_id, token, 3)
        assert [e["amount_dong"] for e in feed] == [25_000, 48_000, 7_000]
        assert [e["seq"] for e in feed] == sorted(e["seq"] for e in feed)
        assert feed[0]["announcement"] == "Đã nhận 25.000 đồng"
        assert feed[0]["spoken"] == "Đã nhận hai mươi lăm nghìn đồng"
        assert feed[0]["event_id"] == first.event_id
        assert feed[2]["event_id"] == third.event_id

        # Webhooks went out from the app's sender threads as each credit was committed.
        world.drain()
        assert sorted(e["event_id"] for e in hook.accepted) == sorted(e["event_id"] for e in feed)
        assert hook.rejected == []
        assert WebhookSender(world.engine, clock, sleep=lambda _s: None).deliver_all_due() == []

        # End of day: settlement files per bank net to zero; the ledger verifies.
        with world.engine.connect() as connection:
            settlement = settlement_for_day(connection, date(2026, 5, 4))
        paths = write_settlement_files(settlement, tmp_path / "settlement")
        with (tmp_path / "settlement" / "net_positions_2026-05-04.csv").open() as handle:
            nets = {
                row["bank_bin"]: int(row["net_position_dong"]) for row in csv.DictReader(handle)
            }
        assert sum(nets.values()) == 0
        assert nets == {AGRIBANK: 55_000, MB: 25_000, VIETCOMBANK: -32_000, BIDV: -48_000}
        assert len(paths) == 5
        assert world.ledger.verify() == []
