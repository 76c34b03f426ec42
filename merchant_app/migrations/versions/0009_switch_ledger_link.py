"""Switch records name the ledger id of the payment's credit leg.

``pay_switch_messages.ledger_transfer_id`` is the id of the last leg of the chain the switch
posted for the payment (the credit to the payee's account, the same id as the vendor credit's
``ledger_transfer_id``). Reconciliation joins switch records to credits on it (an integer)
instead of the text reference. NULL on refusals (nothing posted) and on rows written before
this revision; reconciliation falls back to the reference for a range holding such completed
records. Indexed with the record time (so NULL rows of a range are a range seek); leg ids are
derived from the reference (or time-ordered when the payer gives its own), so the index
takes inserts spread like the reference index's: one more index on this insert path.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pay_switch_messages") as batch:
        batch.add_column(sa.Column("ledger_transfer_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_pay_switch_messages_ledger_transfer",
        "pay_switch_messages",
        ["ledger_transfer_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pay_switch_messages_ledger_transfer", table_name="pay_switch_messages")
    with op.batch_alter_table("pay_switch_messages") as batch:
        batch.drop_column("ledger_transfer_id")
