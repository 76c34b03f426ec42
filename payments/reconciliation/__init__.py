"""Daily reconciliation: switch records vs ledger credits vs merchant records.

``match`` is pure (rows in, discrepancies out); ``job`` does the I/O and returns an exit code.
"""

from payments.reconciliation.job import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_EXCEPTIONS,
    DayResult,
    NoDataForDay,
    ReconciliationError,
    RunSummary,
    parse_business_date,
    reconcile_day,
    reconcile_range,
)
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
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_EXCEPTIONS",
    "CreditRow",
    "DayResult",
    "DayRows",
    "DayWindow",
    "Discrepancy",
    "Kind",
    "NoDataForDay",
    "NotificationRow",
    "ReconciliationError",
    "RequestRow",
    "RunSummary",
    "SwitchRow",
    "SwitchStatus",
    "Tolerance",
    "UnmatchedCreditRow",
    "match_day",
    "parse_business_date",
    "reconcile_day",
    "reconcile_range",
]
