"""Simulation resume: a run row records its days done, its options and its progress.

A killed ``marketpay simulate`` resumes from ``days_done``; the options that shape the run
(slot length, the markets simulated, the scenario's digest) are stored so a resume with other
options is refused, and ``progress_json`` holds the report's running totals, committed in the
same transaction as the day they count.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sim_runs") as batch:
        batch.add_column(sa.Column("days_done", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("slot_minutes", sa.Integer(), server_default="60", nullable=False)
        )
        batch.add_column(sa.Column("markets", sa.Text(), nullable=True))
        batch.add_column(sa.Column("scenario_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("progress_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sim_runs") as batch:
        batch.drop_column("progress_json")
        batch.drop_column("scenario_sha256")
        batch.drop_column("markets")
        batch.drop_column("slot_minutes")
        batch.drop_column("days_done")
