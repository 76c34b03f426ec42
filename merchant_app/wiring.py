"""The composition root for payments: ledger, banks, transport, switch, feed bus, webhooks.

One ``PaymentsWorld`` per process (the app keeps it in lifespan state, the CLI builds one per
command), because the switch holds per-caller rate limits and the feed bus lives in memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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

    def webhooks(self) -> WebhookSender:
        # Real sleeps between retries: webhooks run in a background task, never in a test path.
        return WebhookSender(self.engine, self.clock, sleep=time.sleep)


def build_payments(
    engine: Engine,
    clock: Clock,
    *,
    fault_plan: FaultPlan | None = None,
    limiter: RateLimiter | None = None,
) -> PaymentsWorld:
    ledger = Ledger(engine, clock=clock.now)
    banks = Banks(engine, ledger)
    bank = FakeBank(ledger)
    transport: BankTransport = bank if fault_plan is None else FaultyTransport(bank, fault_plan)
    bus = EventBus()
    switch = Switch(engine, ledger, banks, transport, clock, limiter=limiter, bus=bus)
    return PaymentsWorld(engine, clock, ledger, banks, bank, transport, switch, bus)
