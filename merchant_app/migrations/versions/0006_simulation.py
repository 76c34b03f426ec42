"""The simulation's tables: runs, market keys, observed cash sales.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sim_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scenario", sa.String(length=80), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("scale", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_runs")),
    )
    op.create_table(
        "sim_markets",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("market_key", sa.String(length=40), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sim_runs.id"], name=op.f("fk_sim_markets_run_id_sim_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "market_key", name=op.f("pk_sim_markets")),
        sa.UniqueConstraint("market_id", name=op.f("uq_sim_markets_market_id")),
    )
    op.create_table(
        "sim_cash_sales",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("value_dong", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sim_runs.id"], name=op.f("fk_sim_cash_sales_run_id_sim_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_cash_sales")),
        sa.UniqueConstraint(
            "vendor_id", "day", "reason", name="uq_sim_cash_sales_vendor_day_reason"
        ),
    )
    op.create_index(
        "ix_sim_cash_sales_market_at", "sim_cash_sales", ["market_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sim_cash_sales_market_at", table_name="sim_cash_sales")
    op.drop_table("sim_cash_sales")
    op.drop_table("sim_markets")
    op.drop_table("sim_runs")
