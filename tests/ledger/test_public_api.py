"""The ledger's public surface is its ``__all__`` (what payments and merchant_app use)."""

from __future__ import annotations

import ledger


def test_public_api_is_exactly_all() -> None:
    assert sorted(ledger.__all__) == sorted(
        [
            "MAX_BATCH_TRANSFERS", "Account", "AccountBalance", "AccountFlags", "AccountResult",
            "Ledger", "LedgerError", "StoredTransfer", "Transfer", "TransferFlags",
            "TransferPage", "TransferResult", "Violation", "derive_id", "metadata",
        ]
    )  # fmt: skip
    for name in ledger.__all__:
        assert getattr(ledger, name) is not None


def test_result_codes_keep_tigerbeetle_names() -> None:
    names = {r.value for r in ledger.TransferResult}
    assert {"ok", "exists", "exists_with_different_fields", "exceeds_credits", "exceeds_debits",
            "linked_event_failed", "linked_event_chain_open", "pending_transfer_expired",
            "debit_account_not_found", "accounts_must_be_different"} <= names  # fmt: skip
    assert ledger.MAX_BATCH_TRANSFERS == 8000
