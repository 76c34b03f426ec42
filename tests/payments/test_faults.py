"""Fault injection is seeded, per bank, and every fault is reported for the fault log."""

from __future__ import annotations

import pytest

from payments.faults import FaultPlan, FaultRates, FaultyTransport
from payments.messages import (
    ACCEPTED,
    BankMessage,
    BankReply,
    FaultKind,
    MessageKind,
    ReplyStatus,
)


class AlwaysAccepts:
    def __init__(self) -> None:
        self.received: list[BankMessage] = []

    def exchange(self, message: BankMessage) -> BankReply:
        self.received.append(message)
        return ACCEPTED


def _debit(index: int, bank_bin: str = "970405") -> BankMessage:
    return BankMessage(MessageKind.DEBIT, bank_bin, "0123", 10_000, f"ref-{index}")


def test_same_seed_injects_the_same_faults() -> None:
    rates = FaultRates({FaultKind.TIMEOUT_BEFORE_COMMIT: 0.3, FaultKind.BANK_OFFLINE: 0.1})
    runs = []
    for _run in range(2):
        transport = FaultyTransport(AlwaysAccepts(), FaultPlan(seed=7, default=rates))
        runs.append([transport.exchange(_debit(i)).status for i in range(200)])
    assert runs[0] == runs[1]
    assert ReplyStatus.TIMEOUT in runs[0]
    assert ReplyStatus.OFFLINE in runs[0]
    assert ReplyStatus.ACCEPTED in runs[0]


def test_rates_apply_only_to_their_bank() -> None:
    plan = FaultPlan.always(FaultKind.BANK_OFFLINE, bank_bin="970436")
    transport = FaultyTransport(AlwaysAccepts(), plan)
    assert transport.exchange(_debit(1, "970405")).status is ReplyStatus.ACCEPTED
    reply = transport.exchange(_debit(2, "970436"))
    assert reply.status is ReplyStatus.OFFLINE
    assert [f.fault for f in reply.faults] == [FaultKind.BANK_OFFLINE]
    assert reply.faults[0].client_transfer_id == "ref-2"


def test_faults_before_commit_never_reach_the_bank() -> None:
    inner = AlwaysAccepts()
    transport = FaultyTransport(inner, FaultPlan.always(FaultKind.TIMEOUT_BEFORE_COMMIT))
    assert transport.exchange(_debit(1)).status is ReplyStatus.TIMEOUT
    assert inner.received == []


def test_faults_after_commit_let_the_bank_act_and_mark_the_reply() -> None:
    inner = AlwaysAccepts()
    lost = FaultyTransport(inner, FaultPlan.always(FaultKind.TIMEOUT_AFTER_COMMIT))
    reply = lost.exchange(_debit(1))
    assert reply.status is ReplyStatus.ACCEPTED
    assert reply.reply_lost
    credit = BankMessage(MessageKind.CREDIT, "970405", "0123", 10_000, "ref-2")
    twice = FaultyTransport(inner, FaultPlan.always(FaultKind.DUPLICATE_NOTIFICATION))
    assert twice.exchange(credit).deliveries == 2
    late = FaultyTransport(
        inner, FaultPlan(seed=1, default=FaultRates({FaultKind.DELAYED_NOTIFICATION: 1.0}))
    )
    assert late.exchange(credit).delay_s == 900
    assert len(inner.received) == 3


def test_a_fault_only_hits_messages_it_applies_to() -> None:
    transport = FaultyTransport(AlwaysAccepts(), FaultPlan.always(FaultKind.INSUFFICIENT_FUNDS))
    credit = BankMessage(MessageKind.CREDIT, "970405", "0123", 10_000, "ref")
    assert transport.exchange(credit) == ACCEPTED
    assert transport.exchange(_debit(1)).reason == "insufficient_funds"


def test_bad_rates_and_delays_are_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.1"):
        FaultRates({FaultKind.BANK_OFFLINE: 1.5})
    with pytest.raises(ValueError, match="notification_delay_s"):
        FaultPlan(seed=1, notification_delay_s=0)
