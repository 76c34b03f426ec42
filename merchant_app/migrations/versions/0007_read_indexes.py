"""Indexes for the daily reads: credits by time, events by credit.

Reconciliation and statistics read a business day of credits across all vendors and join
events to their credit; without these both scanned the whole tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pay_credits_created", "pay_credits", ["created_at"])
    op.create_index("ix_pay_events_credit", "pay_events", ["credit_id"])


def downgrade() -> None:
    op.drop_index("ix_pay_events_credit", table_name="pay_events")
    op.drop_index("ix_pay_credits_created", table_name="pay_credits")
