"""ledger: a double-entry ledger with TigerBeetle's account and transfer semantics.

Accounts and transfers are client-identified; ``Ledger.create_transfers`` applies a batch in
one database transaction and returns one ``TransferResult`` per transfer. Storage is SQLAlchemy
(SQLite or PostgreSQL); see docs/LEDGER.md.
"""

from ledger.hashchain import derive_id
from ledger.model import (
    MAX_BATCH_TRANSFERS,
    Account,
    AccountBalance,
    AccountFlags,
    AccountResult,
    LedgerError,
    StoredTransfer,
    Transfer,
    TransferFlags,
    TransferPage,
    TransferResult,
    Violation,
)
from ledger.service import Ledger
from ledger.tables import metadata

__all__ = [
    "MAX_BATCH_TRANSFERS",
    "Account",
    "AccountBalance",
    "AccountFlags",
    "AccountResult",
    "Ledger",
    "LedgerError",
    "StoredTransfer",
    "Transfer",
    "TransferFlags",
    "TransferPage",
    "TransferResult",
    "Violation",
    "derive_id",
    "metadata",
]
