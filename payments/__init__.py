"""payments: the payment world that moves money through the ledger.

Market directory, simulated banks and the NAPAS-like switch (name inquiry, linked-batch
transfers, fault injection, settlement files), payment requests (dynamic VietQR) and matching,
notifications (feed events, signed webhooks) and the buyer's phone. See docs/PAYMENTS.md.

Names are imported lazily (PEP 562): ``import payments.tables`` (the migrations, the schema)
must not pull in the switch, the QR scanner and Pillow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.banks import BANK_MAX_PAYMENT_DONG, BankInfo, Banks, FakeBank, bank_memo
    from payments.buyer import BuyerPhone, Quote, Receipt
    from payments.clock import Clock, ManualClock, SystemClock
    from payments.directory import MarketDayRule, ReceivingAccount, Vendor
    from payments.errors import PaymentError
    from payments.faults import FaultPlan, FaultRates, FaultyTransport
    from payments.messages import (
        BankMessage,
        BankReply,
        BankTransport,
        FaultKind,
        MessageKind,
        ReplyStatus,
    )
    from payments.notifications import EventBus, FeedEvent, events_since
    from payments.ratelimit import RateLimiter
    from payments.requests import Match, PaymentRequest, Status
    from payments.routing import MAX_PAYMENT_DONG, Payment, PaymentOutcome, PaymentStatus
    from payments.settlement import Settlement, settlement_for_day, write_settlement_files
    from payments.switch import MAX_BATCH_PAYMENTS, Switch
    from payments.webhooks import WebhookSender, verify_webhook

_LAZY = {
    "BANK_MAX_PAYMENT_DONG": "payments.banks",
    "BankInfo": "payments.banks",
    "BankMessage": "payments.messages",
    "BankReply": "payments.messages",
    "BankTransport": "payments.messages",
    "Banks": "payments.banks",
    "BuyerPhone": "payments.buyer",
    "Clock": "payments.clock",
    "EventBus": "payments.notifications",
    "FakeBank": "payments.banks",
    "FaultKind": "payments.messages",
    "FaultPlan": "payments.faults",
    "FaultRates": "payments.faults",
    "FaultyTransport": "payments.faults",
    "FeedEvent": "payments.notifications",
    "MAX_BATCH_PAYMENTS": "payments.switch",
    "MAX_PAYMENT_DONG": "payments.routing",
    "ManualClock": "payments.clock",
    "MarketDayRule": "payments.directory",
    "Match": "payments.requests",
    "MessageKind": "payments.messages",
    "Payment": "payments.routing",
    "PaymentError": "payments.errors",
    "PaymentOutcome": "payments.routing",
    "PaymentRequest": "payments.requests",
    "PaymentStatus": "payments.routing",
    "Quote": "payments.buyer",
    "RateLimiter": "payments.ratelimit",
    "Receipt": "payments.buyer",
    "ReceivingAccount": "payments.directory",
    "ReplyStatus": "payments.messages",
    "Settlement": "payments.settlement",
    "Status": "payments.requests",
    "Switch": "payments.switch",
    "SystemClock": "payments.clock",
    "Vendor": "payments.directory",
    "WebhookSender": "payments.webhooks",
    "bank_memo": "payments.banks",
    "events_since": "payments.notifications",
    "settlement_for_day": "payments.settlement",
    "verify_webhook": "payments.webhooks",
    "write_settlement_files": "payments.settlement",
}

__all__ = [
    "BANK_MAX_PAYMENT_DONG",
    "MAX_BATCH_PAYMENTS",
    "MAX_PAYMENT_DONG",
    "BankInfo",
    "BankMessage",
    "BankReply",
    "BankTransport",
    "Banks",
    "BuyerPhone",
    "Clock",
    "EventBus",
    "FakeBank",
    "FaultKind",
    "FaultPlan",
    "FaultRates",
    "FaultyTransport",
    "FeedEvent",
    "ManualClock",
    "MarketDayRule",
    "Match",
    "MessageKind",
    "Payment",
    "PaymentError",
    "PaymentOutcome",
    "PaymentRequest",
    "PaymentStatus",
    "Quote",
    "RateLimiter",
    "Receipt",
    "ReceivingAccount",
    "ReplyStatus",
    "Settlement",
    "Status",
    "Switch",
    "SystemClock",
    "Vendor",
    "WebhookSender",
    "bank_memo",
    "events_since",
    "settlement_for_day",
    "verify_webhook",
    "write_settlement_files",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'payments' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
