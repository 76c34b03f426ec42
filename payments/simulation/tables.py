"""The simulation's own tables, on their own ``MetaData`` (registered in merchant_app.schema).

``sim_runs``: one row per simulation written into this database (its parameters, and when done
its deterministic report and that report's SHA-256; while running, the days committed and the
report's totals so far, from which a killed run resumes). ``sim_markets``: which directory market a
scenario's market key became. ``sim_cash_sales``: the cash sales observed at each stall on each
market day, by reason (the statistics need them for QR's share of sales). Times are aware UTC.
Market and vendor ids are the directory's (``pay_markets``, ``pay_vendors``); like payments'
ledger ids they carry no database foreign key, because another package's ``MetaData`` owns
those tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SCENARIO_NAME_MAX_CHARS = 80
MARKET_KEY_MAX_CHARS = 40
REASON_MAX_CHARS = 16

metadata = MetaData(naming_convention=NAMING_CONVENTION)

runs = Table(
    "sim_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario", String(SCENARIO_NAME_MAX_CHARS), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("mode", String(8), nullable=False),  # fast | camera
    Column("scale", Float, nullable=False),
    Column("status", String(8), nullable=False),  # running | done
    Column("report_json", Text, nullable=True),
    Column("report_sha256", String(64), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),  # simulated time
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # Resume (engine.py): days committed so far, the options a resume must repeat, and the
    # report's running totals as of ``days_done`` (committed with that day's rows).
    Column("days_done", Integer, nullable=False, server_default="0"),
    Column("slot_minutes", Integer, nullable=False, server_default="60"),
    Column("markets", Text, nullable=True),  # comma-separated market keys; NULL: all
    Column("scenario_sha256", String(64), nullable=True),
    Column("progress_json", Text, nullable=True),
)

sim_markets = Table(
    "sim_markets",
    metadata,
    Column("run_id", Integer, ForeignKey("sim_runs.id"), primary_key=True),
    Column("market_key", String(MARKET_KEY_MAX_CHARS), primary_key=True),
    Column("market_id", Integer, nullable=False, unique=True),
)

cash_sales = Table(
    "sim_cash_sales",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("sim_runs.id"), nullable=False),
    Column("market_id", Integer, nullable=False),
    Column("vendor_id", Integer, nullable=False),
    Column("day", Date, nullable=False),  # the market day (Vietnam local date)
    Column("at", DateTime(timezone=True), nullable=False),  # the market's opening that day
    Column("reason", String(REASON_MAX_CHARS), nullable=False),  # demand.CashReason
    Column("sales", Integer, nullable=False),
    Column("value_dong", BigInteger, nullable=False),
    UniqueConstraint("vendor_id", "day", "reason", name="uq_sim_cash_sales_vendor_day_reason"),
    Index("ix_sim_cash_sales_market_at", "market_id", "at"),
)
