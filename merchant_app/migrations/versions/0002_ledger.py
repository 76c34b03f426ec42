"""Ledger: accounts, append-only transfers with a hash chain, the chain head; PostgreSQL triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.tables import HEAD_INSERT, POSTGRES_TRIGGERS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.Column("timestamp_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.UniqueConstraint("code", name="uq_ledger_accounts_code"),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_timestamp_ns", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("transfer_count", sa.BigInteger(), nullable=False),
        sa.Column("expired_through_ns", sa.BigInteger(), nullable=False),
        sa.Column("next_expiry_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_head"),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("requested_amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=140), nullable=False),
        sa.Column("memo", sa.String(length=280), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("pending_id", sa.BigInteger(), nullable=True),
        sa.Column("timeout_s", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ns", sa.BigInteger(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("timestamp_ns", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_transfers_credit_account_id_ledger_accounts",
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_transfers_debit_account_id_ledger_accounts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_transfers"),
        sa.UniqueConstraint("pending_id", name="uq_ledger_transfers_pending_id"),
        sa.UniqueConstraint("timestamp_ns", name="uq_ledger_transfers_timestamp_ns"),
    )
    op.create_index(
        "ix_ledger_transfers_credit_ts",
        "ledger_transfers",
        ["credit_account_id", "timestamp_ns"],
    )
    op.create_index(
        "ix_ledger_transfers_debit_ts", "ledger_transfers", ["debit_account_id", "timestamp_ns"]
    )
    op.create_index("ix_ledger_transfers_expires_at_ns", "ledger_transfers", ["expires_at_ns"])
    op.create_index("ix_ledger_transfers_reference", "ledger_transfers", ["reference"])
    op.execute(HEAD_INSERT)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            # The trigger text is written for DDL() (which %-formats), so undouble the percents.
            op.execute(statement.replace("%%", "%"))


def downgrade() -> None:
    op.drop_table("ledger_transfers")
    op.drop_table("ledger_head")
    op.drop_table("ledger_accounts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_transfers_append_only()")
        op.execute("DROP FUNCTION IF EXISTS ledger_check_account_limits()")
