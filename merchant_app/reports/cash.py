"""Where cash sales are observed: the source of the "share of sales paid by QR" figures.

Cash sales are not payments, so payments/ holds none; they are market observations, recorded
by the simulation (``sim_cash_sales``; a field survey could fill the same role). With no
observation in the database the statistics keep cash figures NULL ("no data") instead of
pretending that every sale was paid by QR.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, select

from payments.simulation.observations import cash_source
from payments.simulation.tables import cash_sales
from payments.stats.sql import Rows


def cash_observations(connection: Connection) -> Rows | None:
    """The cash-sales selectable for payments.stats, or None when nothing was observed."""
    if not connection.execute(select(exists().where(cash_sales.c.id.is_not(None)))).scalar():
        return None
    return cash_source()
