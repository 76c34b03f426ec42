"""Seeded fault injection between the switch and the banks.

``FaultPlan`` says, per bank, how likely each fault is; ``FaultyTransport(inner, plan)`` wraps a
real transport and, for each message, draws at most one fault from the plan's own seeded
generator, so the same plan, seed and message sequence inject the same faults. Every injected
fault travels back in ``BankReply.faults`` and the switch writes it to ``pay_fault_log`` in the
same transaction as the outcome: the ground truth that reconciliation is tested against.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from payments.messages import (
    BankMessage,
    BankReply,
    BankTransport,
    FaultKind,
    InjectedFault,
    MessageKind,
    ReplyStatus,
)

MAX_NOTIFICATION_DELAY_S = 6 * 3600  # a delayed notification arrives within six hours

# Which faults can hit which message, in the fixed order they are drawn.
FAULTS_BY_MESSAGE: dict[MessageKind, tuple[FaultKind, ...]] = {
    MessageKind.INQUIRY: (FaultKind.BANK_OFFLINE,),
    MessageKind.DEBIT: (
        FaultKind.BANK_OFFLINE,
        FaultKind.TIMEOUT_BEFORE_COMMIT,
        FaultKind.INSUFFICIENT_FUNDS,
        FaultKind.AMOUNT_OVER_LIMIT,
        FaultKind.TIMEOUT_AFTER_COMMIT,
    ),
    MessageKind.CREDIT: (
        FaultKind.BANK_OFFLINE,
        FaultKind.DUPLICATE_NOTIFICATION,
        FaultKind.DELAYED_NOTIFICATION,
    ),
}


@dataclass(frozen=True)
class FaultRates:
    """Probability (0..1) of each fault per message that it can hit."""

    rates: dict[FaultKind, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, probability in self.rates.items():
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"fault rate for {kind.value} must be in 0..1, got {probability}")

    def of(self, kind: FaultKind) -> float:
        return self.rates.get(kind, 0.0)


@dataclass(frozen=True)
class FaultPlan:
    """Fault rates for every bank (``default``) and per BIN overrides, with the seed."""

    seed: int
    default: FaultRates = field(default_factory=FaultRates)
    per_bank: dict[str, FaultRates] = field(default_factory=dict)
    notification_delay_s: int = 900

    def __post_init__(self) -> None:
        if not 0 < self.notification_delay_s <= MAX_NOTIFICATION_DELAY_S:
            raise ValueError(
                f"notification_delay_s must be in 1..{MAX_NOTIFICATION_DELAY_S}, "
                f"got {self.notification_delay_s}"
            )

    def rates_for(self, bank_bin: str) -> FaultRates:
        return self.per_bank.get(bank_bin, self.default)

    @classmethod
    def always(cls, kind: FaultKind, *, bank_bin: str | None = None, seed: int = 0) -> FaultPlan:
        """A plan that injects ``kind`` on every message it can hit (tests, demos)."""
        rates = FaultRates({kind: 1.0})
        if bank_bin is None:
            return cls(seed=seed, default=rates)
        return cls(seed=seed, per_bank={bank_bin: rates})


class FaultyTransport:
    """A ``BankTransport`` that injects the plan's faults around ``inner``."""

    def __init__(self, inner: BankTransport, plan: FaultPlan) -> None:
        self._inner = inner
        self._plan = plan
        self._rng = random.Random(plan.seed)

    def exchange(self, message: BankMessage) -> BankReply:
        fault = self._draw(message)
        if fault is None:
            return self._inner.exchange(message)
        injected = InjectedFault(
            fault, message.bank_bin, message.client_transfer_id, _detail(fault, message)
        )
        return _apply(fault, message, self._inner, self._plan, injected)

    def _draw(self, message: BankMessage) -> FaultKind | None:
        rates = self._plan.rates_for(message.bank_bin)
        for kind in FAULTS_BY_MESSAGE[message.kind]:
            probability = rates.of(kind)
            # Draw even at probability 0 so that changing one rate does not shift the others.
            if self._rng.random() < probability:
                return kind
        return None


def _detail(fault: FaultKind, message: BankMessage) -> str:
    return f"{fault.value} on {message.kind.value} {message.amount_dong} dong"


def _apply(
    fault: FaultKind,
    message: BankMessage,
    inner: BankTransport,
    plan: FaultPlan,
    injected: InjectedFault,
) -> BankReply:
    faults = (injected,)
    if fault is FaultKind.BANK_OFFLINE:
        return BankReply(ReplyStatus.OFFLINE, reason="bank_offline", faults=faults)
    if fault is FaultKind.TIMEOUT_BEFORE_COMMIT:
        return BankReply(ReplyStatus.TIMEOUT, reason="timeout_before_commit", faults=faults)
    if fault is FaultKind.INSUFFICIENT_FUNDS:
        return BankReply(ReplyStatus.DECLINED, reason="insufficient_funds", faults=faults)
    if fault is FaultKind.AMOUNT_OVER_LIMIT:
        return BankReply(ReplyStatus.DECLINED, reason="amount_over_limit", faults=faults)
    reply = inner.exchange(message)
    if reply.status is not ReplyStatus.ACCEPTED:
        # The real bank refused anyway; the fault never got the chance to happen.
        return reply
    if fault is FaultKind.TIMEOUT_AFTER_COMMIT:
        return replace(reply, reply_lost=True, faults=reply.faults + faults)
    if fault is FaultKind.DUPLICATE_NOTIFICATION:
        return replace(reply, deliveries=2, faults=reply.faults + faults)
    assert fault is FaultKind.DELAYED_NOTIFICATION, fault
    return replace(reply, delay_s=plan.notification_delay_s, faults=reply.faults + faults)
