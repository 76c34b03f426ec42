"""Simulated banks: customer accounts in the ledger, a settlement account per bank at the switch,
and ``FakeBank``, the in-process ``BankTransport`` the switch talks to.

Ledger ids are derived from names (``ledger.derive_id``), so the switch can build transfers for
an account without looking it up: a missing account comes back from the ledger as
``debit_account_not_found`` / ``credit_account_not_found``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from ledger import Account, AccountFlags, Ledger, Transfer, TransferResult, derive_id
from payments.errors import Conflict, InvalidAmount, InvalidInput, UnknownAccount, UnknownBank
from payments.messages import ACCEPTED, BankMessage, BankReply, MessageKind, ReplyStatus
from payments.tables import NAME_MAX_CHARS, banks
from qr import QRError, bank_by_bin, strip_diacritics

BANK_MEMO_MAX_CHARS = 25  # what the payee's bank keeps of a transfer memo
BANK_MAX_PAYMENT_DONG = 300_000_000  # a bank's own per-transfer limit for QR payments
MAX_DEPOSIT_DONG = 10_000_000_000
ACCOUNTS_PER_LEDGER_CALL = 8000  # the ledger's MAX_BATCH_ACCOUNTS (one transaction per call)
MEMO_CACHE_MAX_ENTRIES = 4096  # purposes seen again (stickers have none; each request's is new)


def account_code(bank_bin: str, account_number: str) -> str:
    return f"{bank_bin}:{account_number}"


def customer_account_id(bank_bin: str, account_number: str) -> int:
    return derive_id(f"customer:{bank_bin}:{account_number}")


def settlement_account_id(bank_bin: str) -> int:
    return derive_id(f"settlement:{bank_bin}")


def cash_account_id(bank_bin: str) -> int:
    return derive_id(f"cash:{bank_bin}")


def inquiry_name(holder: str) -> str:
    """The holder name as banking apps show it: upper case, no diacritics."""
    return strip_diacritics(holder).upper()


def bank_memo(bank_short: str, switch_ref: str, text: str) -> str:
    """The memo the payee's bank records: its own prefix, upper case ASCII, truncated."""
    trace = int(hashlib.sha256(switch_ref.encode()).hexdigest()[:8], 16) % 10_000
    return f"{bank_short.upper()[:6]}.{trace:04d}.{_memo_text(text)}"[:BANK_MEMO_MAX_CHARS]


@functools.lru_cache(maxsize=MEMO_CACHE_MAX_ENTRIES)
def _memo_text(text: str) -> str:
    return " ".join(strip_diacritics(text).upper().split())


@dataclass(frozen=True)
class BankInfo:
    bin: str
    short_name: str
    settlement_account_id: int
    cash_account_id: int


class Banks:
    """Connects banks to the switch and opens and funds their customers' accounts."""

    def __init__(self, engine: Engine, ledger: Ledger) -> None:
        self._engine = engine
        self._ledger = ledger
        self._cache: dict[str, BankInfo] = {}

    def connect(self, bank_bin: str, *, now: datetime) -> BankInfo:
        """Connect the bank with this BIN (from the VietQR bank directory); idempotent."""
        known = self.get(bank_bin)
        if known is not None:
            return known
        try:
            bank = bank_by_bin(bank_bin)
        except QRError as exc:
            raise UnknownBank(f"BIN {bank_bin!r} is not in the VietQR bank directory") from exc
        info = BankInfo(
            bank_bin,
            bank.short_name[:NAME_MAX_CHARS],
            settlement_account_id(bank_bin),
            cash_account_id(bank_bin),
        )
        self._create(
            [
                Account(info.settlement_account_id, f"switch#{bank_bin}", holder="NAPAS"),
                Account(info.cash_account_id, f"{bank_bin}#cash", holder=info.short_name),
            ]
        )
        with self._engine.begin() as connection:
            connection.execute(
                insert(banks).values(
                    bin=info.bin,
                    short_name=info.short_name,
                    settlement_account_id=info.settlement_account_id,
                    cash_account_id=info.cash_account_id,
                    created_at=now,
                )
            )
        self._cache[bank_bin] = info
        return info

    def get(self, bank_bin: str) -> BankInfo | None:
        cached = self._cache.get(bank_bin)
        if cached is not None:
            return cached
        with self._engine.connect() as connection:
            # A read: on SQLite it must not take the write lock (merchant_app.database).
            connection = connection.execution_options(sqlite_begin="DEFERRED")
            row = connection.execute(select(banks).where(banks.c.bin == bank_bin)).first()
        if row is None:
            return None
        info = BankInfo(row.bin, row.short_name, row.settlement_account_id, row.cash_account_id)
        self._cache[bank_bin] = info
        return info

    def require(self, bank_bin: str) -> BankInfo:
        info = self.get(bank_bin)
        if info is None:
            raise UnknownBank(f"no bank with BIN {bank_bin!r} is connected to the switch")
        return info

    def open_accounts(self, holders: Iterable[tuple[str, str, str]]) -> list[int]:
        """Open customer accounts ``(bin, account_number, holder)``; each may only be debited
        up to its credits. Returns the ledger ids. Already-open identical accounts are fine."""
        accounts = []
        for bank_bin, number, holder in holders:
            self.require(bank_bin)
            if not number.isalnum() or not 1 <= len(number) <= 19:
                raise InvalidInput(f"account number {number!r}: 1..19 letters or digits")
            if not holder.strip() or len(holder) > NAME_MAX_CHARS:
                raise InvalidInput(f"holder {holder!r}: must be 1..{NAME_MAX_CHARS} characters")
            accounts.append(
                Account(
                    customer_account_id(bank_bin, number),
                    account_code(bank_bin, number),
                    flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
                    holder=holder.strip(),
                )
            )
        self._create(accounts)
        return [account.id for account in accounts]

    def _create(self, accounts: list[Account]) -> None:
        for start in range(0, len(accounts), ACCOUNTS_PER_LEDGER_CALL):
            chunk = accounts[start : start + ACCOUNTS_PER_LEDGER_CALL]
            results = self._ledger.create_accounts(chunk)
            for account, result in zip(chunk, results, strict=True):
                if result.value not in ("ok", "exists"):
                    raise Conflict(f"account {account.code}: {result.value}")

    def deposit(
        self,
        bank_bin: str,
        account_number: str,
        amount_dong: int,
        *,
        deposit_id: str,
        connection: Connection | None = None,
    ) -> None:
        """Cash in at the counter: the bank's cash account pays the customer's account."""
        if type(amount_dong) is not int or not 0 < amount_dong <= MAX_DEPOSIT_DONG:
            raise InvalidAmount(f"deposit {amount_dong!r}: must be 1..{MAX_DEPOSIT_DONG} đồng")
        info = self.require(bank_bin)
        transfer = Transfer(
            id=derive_id(f"deposit:{deposit_id}"),
            debit_account_id=info.cash_account_id,
            credit_account_id=customer_account_id(bank_bin, account_number),
            amount_dong=amount_dong,
            reference=f"deposit:{deposit_id}"[:140],
        )
        (result,) = self._ledger.create_transfers([transfer], connection=connection)
        if result is TransferResult.credit_account_not_found:
            raise UnknownAccount(f"bank {bank_bin} has no account {account_number}")
        if result.value not in ("ok", "exists"):
            raise Conflict(f"deposit {deposit_id}: {result.value}")

    def balance_dong(self, bank_bin: str, account_number: str) -> int:
        (balance,) = self._ledger.lookup_accounts([customer_account_id(bank_bin, account_number)])
        return int(balance.balance)


class FakeBank:
    """Every connected bank, in process: answers inquiries from the ledger's account holders,
    approves debits within its limit (the ledger itself refuses overdrafts), accepts credits."""

    def __init__(self, ledger: Ledger, *, offline: Iterable[str] = ()) -> None:
        self._ledger = ledger
        self.offline: set[str] = set(offline)
        # account code -> name as inquiries show it; a holder never changes, so entries stay
        # right. Sized by the accounts asked about, not by the payments.
        self._names: dict[str, str] = {}

    def learn(self, holders: Iterable[tuple[str, str, str]]) -> None:
        """Accounts just opened (``(bin, account_number, holder)``, as ``Banks.open_accounts``
        took them): inquiries about them are answered without reading the ledger."""
        for bank_bin, account_number, holder in holders:
            self._names[account_code(bank_bin, account_number)] = inquiry_name(holder.strip())

    def exchange(self, message: BankMessage) -> BankReply:
        if message.bank_bin in self.offline:
            return BankReply(ReplyStatus.OFFLINE, reason="bank_offline")
        if message.kind is MessageKind.INQUIRY:
            name = self._name(message.bank_bin, message.account_number)
            if name is None:
                return BankReply(ReplyStatus.DECLINED, reason="unknown_account")
            return BankReply(ReplyStatus.ACCEPTED, holder_name=name)
        if message.kind is MessageKind.DEBIT and message.amount_dong > BANK_MAX_PAYMENT_DONG:
            return BankReply(ReplyStatus.DECLINED, reason="amount_over_limit")
        return ACCEPTED

    def _name(self, bank_bin: str, account_number: str) -> str | None:
        code = account_code(bank_bin, account_number)
        name = self._names.get(code)
        if name is None:
            account = self._ledger.account_by_code(code)
            if account is None:
                return None
            name = self._names[code] = inquiry_name(account.holder)
        return name
