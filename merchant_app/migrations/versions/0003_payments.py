"""Payments: market directory, banks, payment requests, credits, feed events, webhooks, switch
and bank message records, fault log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pay_bank_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bank_bin", sa.String(length=6), nullable=False),
        sa.Column("client_transfer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("account_number", sa.String(length=19), nullable=False),
        sa.Column("amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_bank_messages")),
    )
    op.create_index(
        "ix_pay_bank_messages_bank_created",
        "pay_bank_messages",
        ["bank_bin", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pay_bank_messages_client_transfer_id"),
        "pay_bank_messages",
        ["client_transfer_id"],
        unique=False,
    )
    op.create_table(
        "pay_banks",
        sa.Column("bin", sa.String(length=6), nullable=False),
        sa.Column("short_name", sa.String(length=80), nullable=False),
        sa.Column("settlement_account_id", sa.BigInteger(), nullable=False),
        sa.Column("cash_account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bin", name=op.f("pk_pay_banks")),
        sa.UniqueConstraint("cash_account_id", name=op.f("uq_pay_banks_cash_account_id")),
        sa.UniqueConstraint(
            "settlement_account_id", name=op.f("uq_pay_banks_settlement_account_id")
        ),
    )
    op.create_table(
        "pay_districts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_districts")),
        sa.UniqueConstraint("name", name=op.f("uq_pay_districts_name")),
    )
    op.create_table(
        "pay_fault_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_transfer_id", sa.String(length=64), nullable=False),
        sa.Column("bank_bin", sa.String(length=6), nullable=False),
        sa.Column("fault", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_fault_log")),
    )
    op.create_index(
        op.f("ix_pay_fault_log_client_transfer_id"),
        "pay_fault_log",
        ["client_transfer_id"],
        unique=False,
    )
    op.create_table(
        "pay_switch_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_transfer_id", sa.String(length=64), nullable=False),
        sa.Column("payer_bin", sa.String(length=6), nullable=False),
        sa.Column("payer_account", sa.String(length=19), nullable=False),
        sa.Column("payee_bin", sa.String(length=6), nullable=False),
        sa.Column("payee_account", sa.String(length=19), nullable=False),
        sa.Column("amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_switch_messages")),
    )
    op.create_index(
        op.f("ix_pay_switch_messages_client_transfer_id"),
        "pay_switch_messages",
        ["client_transfer_id"],
        unique=False,
    )
    op.create_index(
        "ix_pay_switch_messages_created", "pay_switch_messages", ["created_at"], unique=False
    )
    op.create_table(
        "pay_communes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["pay_districts.id"],
            name=op.f("fk_pay_communes_district_id_pay_districts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_communes")),
        sa.UniqueConstraint("district_id", "name", name="uq_pay_communes_district_name"),
    )
    op.create_table(
        "pay_markets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("day_rule", sa.String(length=8), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=True),
        sa.Column("anchor_date", sa.Date(), nullable=True),
        sa.Column("lunar_days", sa.String(length=90), nullable=True),
        sa.Column("stall_fee_dong", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"], ["pay_communes.id"], name=op.f("fk_pay_markets_commune_id_pay_communes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_markets")),
        sa.UniqueConstraint("commune_id", "name", name="uq_pay_markets_commune_name"),
    )
    op.create_table(
        "pay_vendors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=15), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("stall", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"], ["pay_markets.id"], name=op.f("fk_pay_vendors_market_id_pay_markets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_vendors")),
        sa.UniqueConstraint("phone", name=op.f("uq_pay_vendors_phone")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pay_vendors_token_hash")),
    )
    op.create_table(
        "pay_receiving_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("bank_bin", sa.String(length=6), nullable=False),
        sa.Column("account_number", sa.String(length=19), nullable=False),
        sa.Column("holder_name", sa.String(length=80), nullable=False),
        sa.Column("ledger_account_id", sa.BigInteger(), nullable=False),
        sa.Column("static_payload", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["pay_vendors.id"],
            name=op.f("fk_pay_receiving_accounts_vendor_id_pay_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_receiving_accounts")),
        sa.UniqueConstraint(
            "bank_bin", "account_number", name="uq_pay_receiving_accounts_bin_account"
        ),
        sa.UniqueConstraint(
            "ledger_account_id", name=op.f("uq_pay_receiving_accounts_ledger_account_id")
        ),
    )
    op.create_index(
        op.f("ix_pay_receiving_accounts_vendor_id"),
        "pay_receiving_accounts",
        ["vendor_id"],
        unique=False,
    )
    op.create_table(
        "pay_webhook_endpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["pay_vendors.id"],
            name=op.f("fk_pay_webhook_endpoints_vendor_id_pay_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_webhook_endpoints")),
        sa.UniqueConstraint("vendor_id", name=op.f("uq_pay_webhook_endpoints_vendor_id")),
    )
    op.create_table(
        "pay_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("receiving_account_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=25), nullable=False),
        sa.Column("amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=50), nullable=False),
        sa.Column("paid_dong", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["receiving_account_id"],
            ["pay_receiving_accounts.id"],
            name=op.f("fk_pay_requests_receiving_account_id_pay_receiving_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["pay_vendors.id"], name=op.f("fk_pay_requests_vendor_id_pay_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_pay_requests_reference")),
    )
    op.create_index(
        "ix_pay_requests_account_amount",
        "pay_requests",
        ["receiving_account_id", "amount_dong"],
        unique=False,
    )
    op.create_index(op.f("ix_pay_requests_vendor_id"), "pay_requests", ["vendor_id"], unique=False)
    op.create_table(
        "pay_webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["pay_webhook_endpoints.id"],
            name=op.f("fk_pay_webhook_deliveries_endpoint_id_pay_webhook_endpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_pay_webhook_deliveries_event_id"),
        "pay_webhook_deliveries",
        ["event_id"],
        unique=False,
    )
    op.create_table(
        "pay_credits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_transfer_id", sa.String(length=64), nullable=False),
        sa.Column("ledger_transfer_id", sa.BigInteger(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("receiving_account_id", sa.Integer(), nullable=False),
        sa.Column("amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=64), nullable=False),
        sa.Column("payer_name", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["receiving_account_id"],
            ["pay_receiving_accounts.id"],
            name=op.f("fk_pay_credits_receiving_account_id_pay_receiving_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["pay_requests.id"], name=op.f("fk_pay_credits_request_id_pay_requests")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["pay_vendors.id"], name=op.f("fk_pay_credits_vendor_id_pay_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_credits")),
        sa.UniqueConstraint("client_transfer_id", name=op.f("uq_pay_credits_client_transfer_id")),
        sa.UniqueConstraint("ledger_transfer_id", name=op.f("uq_pay_credits_ledger_transfer_id")),
    )
    op.create_index(
        "ix_pay_credits_vendor_created", "pay_credits", ["vendor_id", "created_at"], unique=False
    )
    op.create_table(
        "pay_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("credit_id", sa.Integer(), nullable=False),
        sa.Column("amount_dong", sa.BigInteger(), nullable=False),
        sa.Column("announcement", sa.String(length=200), nullable=False),
        sa.Column("spoken", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_id"], ["pay_credits.id"], name=op.f("fk_pay_events_credit_id_pay_credits")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["pay_vendors.id"], name=op.f("fk_pay_events_vendor_id_pay_vendors")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_pay_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_pay_events_event_id")),
    )
    op.create_index("ix_pay_events_vendor_seq", "pay_events", ["vendor_id", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pay_events_vendor_seq", table_name="pay_events")
    op.drop_table("pay_events")
    op.drop_index("ix_pay_credits_vendor_created", table_name="pay_credits")
    op.drop_table("pay_credits")
    op.drop_index(op.f("ix_pay_webhook_deliveries_event_id"), table_name="pay_webhook_deliveries")
    op.drop_table("pay_webhook_deliveries")
    op.drop_index(op.f("ix_pay_requests_vendor_id"), table_name="pay_requests")
    op.drop_index("ix_pay_requests_account_amount", table_name="pay_requests")
    op.drop_table("pay_requests")
    op.drop_table("pay_webhook_endpoints")
    op.drop_index(op.f("ix_pay_receiving_accounts_vendor_id"), table_name="pay_receiving_accounts")
    op.drop_table("pay_receiving_accounts")
    op.drop_table("pay_vendors")
    op.drop_table("pay_markets")
    op.drop_table("pay_communes")
    op.drop_index("ix_pay_switch_messages_created", table_name="pay_switch_messages")
    op.drop_index(
        op.f("ix_pay_switch_messages_client_transfer_id"), table_name="pay_switch_messages"
    )
    op.drop_table("pay_switch_messages")
    op.drop_index(op.f("ix_pay_fault_log_client_transfer_id"), table_name="pay_fault_log")
    op.drop_table("pay_fault_log")
    op.drop_table("pay_districts")
    op.drop_table("pay_banks")
    op.drop_index(op.f("ix_pay_bank_messages_client_transfer_id"), table_name="pay_bank_messages")
    op.drop_index("ix_pay_bank_messages_bank_created", table_name="pay_bank_messages")
    op.drop_table("pay_bank_messages")
