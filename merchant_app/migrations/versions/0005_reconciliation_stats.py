"""Reconciliation results (runs, exceptions, settlement checks) and adoption summary rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recon_runs",
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("switch_records", sa.Integer(), nullable=False),
        sa.Column("ledger_credits", sa.Integer(), nullable=False),
        sa.Column("notifications", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("settlement_problems", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("business_day", name=op.f("pk_recon_runs")),
    )
    op.create_table(
        "recon_exceptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("switch_ref", sa.String(length=80), nullable=True),
        sa.Column("bank_bin", sa.String(length=6), nullable=True),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("amount_expected_dong", sa.BigInteger(), nullable=True),
        sa.Column("amount_found_dong", sa.BigInteger(), nullable=True),
        sa.Column("ledger_transfer_ids", sa.String(length=400), nullable=False),
        sa.Column("notification_ids", sa.String(length=400), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("suggested_fix", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_day"],
            ["recon_runs.business_day"],
            name=op.f("fk_recon_exceptions_business_day_recon_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_exceptions")),
    )
    op.create_index(op.f("ix_recon_exceptions_business_day"), "recon_exceptions", ["business_day"])
    op.create_index("ix_recon_exceptions_kind_day", "recon_exceptions", ["kind", "business_day"])
    op.create_table(
        "recon_settlement",
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("bank_bin", sa.String(length=6), nullable=False),
        sa.Column("switch_net_dong", sa.BigInteger(), nullable=False),
        sa.Column("ledger_net_dong", sa.BigInteger(), nullable=False),
        sa.Column("file_net_dong", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_day"],
            ["recon_runs.business_day"],
            name=op.f("fk_recon_settlement_business_day_recon_runs"),
        ),
        sa.PrimaryKeyConstraint("business_day", "bank_bin", name=op.f("pk_recon_settlement")),
    )
    op.create_table(
        "stat_adoption",
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=80), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("vendors_registered", sa.Integer(), nullable=False),
        sa.Column("vendors_with_qr", sa.Integer(), nullable=False),
        sa.Column("active_qr_vendors", sa.Integer(), nullable=False),
        sa.Column("qr_count", sa.Integer(), nullable=False),
        sa.Column("qr_value_dong", sa.BigInteger(), nullable=False),
        sa.Column("cash_count", sa.Integer(), nullable=True),
        sa.Column("cash_value_dong", sa.BigInteger(), nullable=True),
        sa.Column("unique_payers", sa.Integer(), nullable=False),
        sa.Column("repeat_payers", sa.Integer(), nullable=False),
        sa.Column("median_ticket_dong", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("timeouts", sa.Integer(), nullable=False),
        sa.Column("notify_p50_ms", sa.Float(), nullable=True),
        sa.Column("notify_p95_ms", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "level", "unit_id", "period", "period_start", name=op.f("pk_stat_adoption")
        ),
    )


def downgrade() -> None:
    op.drop_table("stat_adoption")
    op.drop_table("recon_settlement")
    op.drop_index("ix_recon_exceptions_kind_day", table_name="recon_exceptions")
    op.drop_index(op.f("ix_recon_exceptions_business_day"), table_name="recon_exceptions")
    op.drop_table("recon_exceptions")
    op.drop_table("recon_runs")
