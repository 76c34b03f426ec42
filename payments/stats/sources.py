"""Where the statistics read from: payments' records and the simulation's cash observations.

Each function returns a SQLAlchemy selectable with documented column names, so the aggregation
in ``refresh.py`` never touches a source table directly. No buyer name or phone is selected
anywhere; payers are counted by an opaque key (bank BIN + account) that never leaves the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    String,
    func,
    literal,
    null,
    select,
)

from payments.stats.sql import Rows
from payments.tables import (
    communes,
    credits,
    districts,
    events,
    markets,
    receiving_accounts,
    switch_messages,
    vendors,
)

PROVINCE_UNIT_ID = 0
PROVINCE_NAME = "Toàn tỉnh"  # "the whole province": the directory holds one province
SWITCH_COMPLETED = "completed"
SWITCH_TIMEOUT = "timeout"


class Level(StrEnum):
    MARKET = "market"
    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"


@dataclass(frozen=True)
class Sources:
    """The selectables the statistics aggregate. Column names are the contract:

    - ``receipts``: vendor_id, market_id, amount_dong, at, client_transfer_id, credit_id (one
      per QR credit)
    - ``payers``: client_transfer_id, payer_key (completed switch records)
    - ``attempts``: payee_bin, payee_account, at, failed (0/1), timed_out (0/1) (every switch
      attempt, by the receiving account it was made to)
    - ``accounts``: bank_bin, account_number, market_id (every receiving account, unique by
      bin and account number)
    - ``notices``: market_id, at (of the credit), seen_at (when the vendor could see it)
    - ``seen``: credit_id, seen_at (the same notices by the receipt they announce, no joins)
    - ``cash``: market_id, at, sales, value_dong (cash sales observed at the market), or None
      when nobody observed cash sales: then shares of sales paid by QR are unknown, not 100%
    """

    receipts: Rows
    payers: Rows
    attempts: Rows
    accounts: Rows
    notices: Rows
    cash: Rows | None
    seen: Rows


def payments_sources(cash: Rows | None) -> Sources:
    """The sources over payments' tables, with ``cash`` from the simulation (or a survey)."""
    receipts = select(
        credits.c.vendor_id,
        vendors.c.market_id,
        credits.c.amount_dong,
        credits.c.created_at.label("at"),
        credits.c.client_transfer_id,
        credits.c.id.label("credit_id"),
    ).join_from(credits, vendors, _not_indexed(credits.c.vendor_id) == vendors.c.id)
    payers = select(
        switch_messages.c.client_transfer_id,
        (switch_messages.c.payer_bin + ":" + switch_messages.c.payer_account).label("payer_key"),
    ).where(switch_messages.c.status == SWITCH_COMPLETED)
    attempts = select(
        switch_messages.c.payee_bin,
        switch_messages.c.payee_account,
        switch_messages.c.created_at.label("at"),
        (switch_messages.c.status != SWITCH_COMPLETED).cast(Integer).label("failed"),
        (switch_messages.c.status == SWITCH_TIMEOUT).cast(Integer).label("timed_out"),
    )
    accounts = select(
        receiving_accounts.c.bank_bin,
        receiving_accounts.c.account_number,
        vendors.c.market_id,
    ).join_from(receiving_accounts, vendors, vendors.c.id == receiving_accounts.c.vendor_id)
    notices = (
        select(
            vendors.c.market_id,
            credits.c.created_at.label("at"),
            events.c.visible_at.label("seen_at"),
        )
        .join_from(events, credits, events.c.credit_id == credits.c.id)
        .join(vendors, vendors.c.id == _not_indexed(credits.c.vendor_id))
    )
    seen = select(events.c.credit_id, events.c.visible_at.label("seen_at"))
    return Sources(receipts, payers, attempts, accounts, notices, cash, seen)


def _not_indexed(vendor_id: ColumnElement[int]) -> ColumnElement[int]:
    """``vendor_id + 0``: the same value, but SQLite can no longer drive the join through the
    credits' (vendor_id, created_at) index. It then reads the period's credits in time order
    (the created_at index, and the table, which is written in time order) and probes the small
    vendors table, instead of visiting a million credits vendor by vendor in random order:
    4.8 s instead of 7.6 s for the receipts with their payers on 1M payments. PostgreSQL
    hash-joins either way."""
    return vendor_id + 0


def market_units() -> Rows:
    """market_id, commune_id, district_id: how each market rolls up."""
    return select(
        markets.c.id.label("market_id"),
        markets.c.commune_id,
        communes.c.district_id,
    ).join_from(markets, communes, markets.c.commune_id == communes.c.id)


def unit_column(level: Level, units: FromClause) -> ColumnElement[int]:
    """The unit id of a market row of ``market_units()`` at ``level``."""
    if level is Level.PROVINCE:
        return literal(PROVINCE_UNIT_ID, Integer)
    return units.c[f"{level.value}_id"]


def units(level: Level) -> Rows:
    """unit_id, unit_name, parent_id of every unit at ``level``."""
    if level is Level.MARKET:
        return select(
            markets.c.id.label("unit_id"),
            markets.c.name.label("unit_name"),
            markets.c.commune_id.label("parent_id"),
        )
    if level is Level.COMMUNE:
        return select(
            communes.c.id.label("unit_id"),
            communes.c.name.label("unit_name"),
            communes.c.district_id.label("parent_id"),
        )
    if level is Level.DISTRICT:
        return select(
            districts.c.id.label("unit_id"),
            districts.c.name.label("unit_name"),
            literal(PROVINCE_UNIT_ID, Integer).label("parent_id"),
        )
    province: Rows = select(
        literal(PROVINCE_UNIT_ID, Integer).label("unit_id"),
        literal(PROVINCE_NAME, String).label("unit_name"),
        null().cast(Integer).label("parent_id"),
    )
    return province


def vendor_qr_since() -> Rows:
    """vendor_id, market_id, registered_at, qr_since (first receiving account; NULL if none)."""
    first = (
        select(
            receiving_accounts.c.vendor_id,
            func.min(receiving_accounts.c.created_at).label("qr_since"),
        )
        .group_by(receiving_accounts.c.vendor_id)
        .subquery()
    )
    return select(
        vendors.c.id.label("vendor_id"),
        vendors.c.market_id,
        vendors.c.created_at.label("registered_at"),
        first.c.qr_since,
    ).join_from(vendors, first, first.c.vendor_id == vendors.c.id, isouter=True)
