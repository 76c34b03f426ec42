"""Daily reconciliation: switch records vs ledger credits vs merchant records.

``match`` is pure (rows in, discrepancies out); ``job`` does the I/O and returns an exit code.
"""

from payments.reconciliation.match import DayRows, match_day
from payments.reconciliation.model import (
    CreditRow,
    DayWindow,
    Discrepancy,
    Kind,
    NotificationRow,
    RequestRow,
    SwitchRow,
    SwitchStatus,
    Tolerance,
    UnmatchedCreditRow,
)

__all__ = [
    "CreditRow",
    "DayRows",
    "DayWindow",
    "Discrepancy",
    "Kind",
    "NotificationRow",
    "RequestRow",
    "SwitchRow",
    "SwitchStatus",
    "Tolerance",
    "UnmatchedCreditRow",
    "match_day",
]
