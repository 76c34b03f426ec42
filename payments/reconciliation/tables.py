"""Stored reconciliation results, on their own ``MetaData`` (registered in merchant_app.schema).

One ``recon_runs`` row per business day, its exceptions and its per-bank settlement checks.
Re-running a day deletes that day's rows first (in the same transaction): results are
replaced, never duplicated.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
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
REF_MAX_CHARS = 80
IDS_MAX_CHARS = 400  # a few ledger transfer ids or delivery ids, comma-separated
TEXT_MAX_CHARS = 300

metadata = MetaData(naming_convention=NAMING_CONVENTION)

runs = Table(
    "recon_runs",
    metadata,
    Column("business_day", Date, primary_key=True),
    Column("switch_records", Integer, nullable=False),
    Column("ledger_credits", Integer, nullable=False),
    Column("notifications", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("exceptions", Integer, nullable=False),
    Column("settlement_problems", Integer, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

exceptions = Table(
    "recon_exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("business_day", Date, ForeignKey("recon_runs.business_day"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("switch_ref", String(REF_MAX_CHARS), nullable=True),
    Column("bank_bin", String(6), nullable=True),
    Column("vendor_id", Integer, nullable=True),
    Column("request_id", Integer, nullable=True),
    Column("amount_expected_dong", BigInteger, nullable=True),
    Column("amount_found_dong", BigInteger, nullable=True),
    Column("ledger_transfer_ids", String(IDS_MAX_CHARS), nullable=False),
    Column("notification_ids", String(IDS_MAX_CHARS), nullable=False),
    Column("detail", String(TEXT_MAX_CHARS), nullable=False),
    Column("suggested_fix", String(TEXT_MAX_CHARS), nullable=False),
    Index("ix_recon_exceptions_kind_day", "kind", "business_day"),
)

settlement_checks = Table(
    "recon_settlement",
    metadata,
    Column("business_day", Date, ForeignKey("recon_runs.business_day"), primary_key=True),
    Column("bank_bin", String(6), primary_key=True),
    Column("switch_net_dong", BigInteger, nullable=False),
    Column("ledger_net_dong", BigInteger, nullable=False),
    Column("file_net_dong", BigInteger, nullable=True),  # NULL: no file, or a corrupt one
    Column("status", String(16), nullable=False),  # ok | mismatch | corrupt_file | no_file
    Column("problem", String(TEXT_MAX_CHARS), nullable=False),
)
