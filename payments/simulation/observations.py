"""The simulation's cash observations as a statistics source (``payments.stats`` contract).

Columns: market_id, at, sales, value_dong -- one row per stall, market day and reason; the
statistics sum them per market and period.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from payments.simulation.tables import cash_sales


def cash_source() -> Select[tuple[int, object, int, int]]:
    return select(
        cash_sales.c.market_id,
        cash_sales.c.at,
        cash_sales.c.sales,
        cash_sales.c.value_dong,
    )
