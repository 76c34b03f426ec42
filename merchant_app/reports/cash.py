"""Where cash sales are observed: the source of the "share of sales paid by QR" figures.

Cash sales are not payments, so payments/ holds none; they are market observations (the
simulation records them, a field survey could too). Until a source of observations exists in
the database the statistics keep cash figures NULL and say "no data", instead of pretending
that every sale was QR.
"""

from __future__ import annotations

from payments.stats.sql import Rows


def cash_observations() -> Rows | None:
    """The cash-sales selectable for payments.stats, or None when none is recorded."""
    return None
