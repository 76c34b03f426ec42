"""The webhook sender: signed POSTs to a real local server, bounded retries, delivery log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import insert, select

from payments.notifications import FEED_PAGE_MAX_EVENTS
from payments.routing import Payment
from payments.tables import webhook_deliveries, webhook_endpoints
from payments.webhooks import WEBHOOK_BACKOFF_S, WEBHOOK_MAX_ATTEMPTS, WebhookSender
from tests.payments.world import VIETCOMBANK, Stall, World, make_buyer

SECRET = "a" * 64


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[bytes] = []
        self.verified: list[str] = []


@pytest.fixture
def flaky_server(request: pytest.FixtureRequest) -> Iterator[tuple[Flaky, str]]:
    state = Flaky(request.param)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.bodies.append(body)
            if len(state.bodies) <= state.failures:
                self.send_response(503)
            else:
                state.verified.append(self.headers["X-MarketPay-Event-Id"])
                self.send_response(200)
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


def _paid_vendor(world: World, stall: Stall, buyer: tuple[str, str], url: str) -> None:
    with world.engine.begin() as connection:
        connection.execute(
            insert(webhook_endpoints).values(
                vendor_id=stall.vendor.id,
                url=url,
                secret=SECRET,
                active=True,
                created_at=world.clock.now(),
            )
        )
    sticker = stall.accounts[0].static_payload
    assert world.switch.pay(Payment(sticker, *buyer, "w-1", 15_000)).ok


@pytest.mark.parametrize("flaky_server", [2], indirect=True)
def test_failed_attempts_are_retried_with_backoff_and_logged(
    world: World,
    vendor_with_two_banks: Stall,
    funded_buyer: tuple[str, str],
    flaky_server: tuple[Flaky, str],
) -> None:
    server, url = flaky_server
    _paid_vendor(world, vendor_with_two_banks, funded_buyer, url)
    waits: list[float] = []
    sender = WebhookSender(world.engine, world.clock, sleep=waits.append)
    (result,) = sender.deliver_due(vendor_with_two_banks.vendor.id)
    assert (result.attempts, result.delivered) == (3, True)
    assert waits == list(WEBHOOK_BACKOFF_S[:2])
    assert len(server.bodies) == 3
    assert server.verified == [result.event_id]
    with world.engine.connect() as connection:
        log = connection.execute(
            select(
                webhook_deliveries.c.attempt,
                webhook_deliveries.c.status,
                webhook_deliveries.c.http_status,
            ).order_by(webhook_deliveries.c.id)
        ).all()
    assert [tuple(row) for row in log] == [
        (1, "failed", 503),
        (2, "failed", 503),
        (3, "delivered", 200),
    ]
    assert sender.deliver_due(vendor_with_two_banks.vendor.id) == []  # nothing due any more


@pytest.mark.parametrize("flaky_server", [100], indirect=True)
def test_delivery_gives_up_after_the_attempt_limit(
    world: World,
    vendor_with_two_banks: Stall,
    funded_buyer: tuple[str, str],
    flaky_server: tuple[Flaky, str],
) -> None:
    server, url = flaky_server
    _paid_vendor(world, vendor_with_two_banks, funded_buyer, url)
    sender = WebhookSender(world.engine, world.clock, sleep=lambda _s: None)
    (result,) = sender.deliver_due(vendor_with_two_banks.vendor.id)
    assert (result.attempts, result.delivered) == (WEBHOOK_MAX_ATTEMPTS, False)
    assert len(server.bodies) == WEBHOOK_MAX_ATTEMPTS
    with world.engine.connect() as connection:
        statuses = connection.scalars(
            select(webhook_deliveries.c.status).order_by(webhook_deliveries.c.id)
        ).all()
    assert statuses[-1] == "gave_up"
    assert statuses.count("failed") == WEBHOOK_MAX_ATTEMPTS - 1
    assert sender.deliver_due(vendor_with_two_banks.vendor.id) == []


@pytest.mark.parametrize("flaky_server", [0], indirect=True)
def test_unreachable_endpoint_is_logged_not_raised(
    world: World,
    vendor_with_two_banks: Stall,
    funded_buyer: tuple[str, str],
    flaky_server: tuple[Flaky, str],
) -> None:
    _paid_vendor(world, vendor_with_two_banks, funded_buyer, "http://127.0.0.1:9/closed")
    sender = WebhookSender(world.engine, world.clock, sleep=lambda _s: None, max_attempts=2)
    (result,) = sender.deliver_due(vendor_with_two_banks.vendor.id)
    assert not result.delivered
    with world.engine.connect() as connection:
        errors = connection.scalars(select(webhook_deliveries.c.error)).all()
    assert len(errors) == 2
    assert all("Error" in error for error in errors)


@pytest.mark.parametrize("flaky_server", [0], indirect=True)
def test_every_event_goes_out_even_past_one_feed_page(
    world: World, vendor_with_two_banks: Stall, flaky_server: tuple[Flaky, str]
) -> None:
    """More events than one feed page (500) and one sending round (200): none is left out."""
    server, url = flaky_server
    buyer = make_buyer(world, VIETCOMBANK, "42", balance_dong=10_000_000)
    _paid_vendor(world, vendor_with_two_banks, buyer, url)
    sticker = vendor_with_two_banks.accounts[1].static_payload
    outcomes = world.switch.pay_many(
        [Payment(sticker, *buyer, f"many-{i}", 1_000 + i) for i in range(FEED_PAGE_MAX_EVENTS)]
    )
    assert all(outcome.ok for outcome in outcomes)
    sender = WebhookSender(world.engine, world.clock, sleep=lambda _s: None)
    rounds = 0
    while sender.deliver_all_due():
        rounds += 1
    assert rounds == 3  # 501 events, at most WEBHOOK_BATCH_MAX_EVENTS (200) a round
    assert len(set(server.verified)) == FEED_PAGE_MAX_EVENTS + 1
