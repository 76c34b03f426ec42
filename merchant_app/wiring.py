"""The composition root for payments: ledger, banks, transport, switch, feed bus, webhooks.

One ``PaymentsWorld`` per process (the app keeps it in lifespan state, the CLI builds one per
command), because the switch holds per-caller rate limits and the feed bus lives in memory.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ledger import Ledger
from payments import (
    Banks,
    BankTransport,
    Clock,
    EventBus,
    FakeBank,
    FaultPlan,
    FaultyTransport,
    RateLimiter,
    Switch,
    WebhookSender,
)

WEBHOOK_WORKERS = 2  # threads sending webhooks; retries sleep in them, never in a request
DRAIN_TIMEOUT_S = 60.0


@dataclass
class PaymentsWorld:
    engine: Engine
    clock: Clock
    ledger: Ledger
    banks: Banks
    bank: FakeBank
    transport: BankTransport
    switch: Switch
    bus: EventBus
    _sender: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(WEBHOOK_WORKERS, "webhooks")
    )
    _pending: list[Future[object]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _vendor_locks: dict[int, threading.Lock] = field(default_factory=dict)

    def webhooks(self) -> WebhookSender:
        # Real sleeps between retries: they happen in the sender's threads only.
        return WebhookSender(self.engine, self.clock, sleep=time.sleep)

    def send_webhooks(self, vendor_ids: set[int]) -> None:
        """Queue webhook delivery for vendors just credited (any path: API, pages, CLI)."""
        with self._lock:
            self._pending = [future for future in self._pending if not future.done()]
            for vendor_id in sorted(vendor_ids):
                self._pending.append(self._sender.submit(self._deliver, vendor_id))

    def _deliver(self, vendor_id: int) -> object:
        # One sender per vendor at a time, so an event is never sent twice concurrently.
        with self._lock:
            vendor_lock = self._vendor_locks.setdefault(vendor_id, threading.Lock())
        with vendor_lock:
            return self.webhooks().deliver_due(vendor_id)

    def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """Wait until queued webhook deliveries have finished (shutdown, tests)."""
        with self._lock:
            pending = list(self._pending)
        wait(pending, timeout=timeout_s)

    def close(self) -> None:
        self._sender.shutdown(wait=True, cancel_futures=True)


def build_payments(
    engine: Engine,
    clock: Clock,
    *,
    fault_plan: FaultPlan | None = None,
    limiter: RateLimiter | None = None,
    send_webhooks: bool = True,
) -> PaymentsWorld:
    ledger = Ledger(engine, clock=clock.now)
    banks = Banks(engine, ledger)
    bank = FakeBank(ledger)
    transport: BankTransport = bank if fault_plan is None else FaultyTransport(bank, fault_plan)
    bus = EventBus()
    switch = Switch(engine, ledger, banks, transport, clock, limiter=limiter, bus=bus)
    world = PaymentsWorld(engine, clock, ledger, banks, bank, transport, switch, bus)
    if send_webhooks:
        bus.listen(world.send_webhooks)
    return world
