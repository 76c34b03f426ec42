"""Summary tables of adoption statistics, on their own ``MetaData`` (registered in schema.py).

One row per (level, unit, period kind, period start): the additive counts and the order
statistics the dashboard shows. Shares, averages and growth are derived from these when read,
so a row never disagrees with itself.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
UNIT_NAME_MAX_CHARS = 80

metadata = MetaData(naming_convention=NAMING_CONVENTION)

adoption = Table(
    "stat_adoption",
    metadata,
    Column("level", String(8), nullable=False),  # market | commune | district | province
    Column("unit_id", Integer, nullable=False),  # 0 for the province
    Column("unit_name", String(UNIT_NAME_MAX_CHARS), nullable=False),
    Column("parent_id", Integer, nullable=True),  # the unit one level up (district of a commune)
    Column("period", String(5), nullable=False),  # day | week | month
    Column("period_start", Date, nullable=False),  # Vietnamese calendar day (UTC+7)
    Column("vendors_registered", Integer, nullable=False),
    Column("vendors_with_qr", Integer, nullable=False),
    Column("active_qr_vendors", Integer, nullable=False),
    Column("qr_count", Integer, nullable=False),
    Column("qr_value_dong", BigInteger, nullable=False),
    # NULL when no cash observations exist for the period (then QR shares of sales are unknown).
    Column("cash_count", Integer, nullable=True),
    Column("cash_value_dong", BigInteger, nullable=True),
    Column("unique_payers", Integer, nullable=False),
    Column("repeat_payers", Integer, nullable=False),
    Column("median_ticket_dong", Float, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("timeouts", Integer, nullable=False),
    Column("notify_p50_ms", Float, nullable=True),
    Column("notify_p95_ms", Float, nullable=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("level", "unit_id", "period", "period_start"),
)
