"""Every table of the payments package, on one ``MetaData`` (registered in merchant_app.schema).

Money columns are BIGINT đồng; times are timezone-aware UTC. Ledger account and transfer ids
are the ledger's 63-bit ids (``ledger.derive_id``), stored as BIGINT without a database
foreign key because the ledger owns those rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME_MAX_CHARS = 80
PHONE_MAX_CHARS = 15  # E.164 digits without the plus sign
CATEGORY_MAX_CHARS = 32
STALL_MAX_CHARS = 16
BIN_CHARS = 6
ACCOUNT_MAX_CHARS = 19  # EMVCo tag 38/01/01 allows up to 19 characters
PAYLOAD_MAX_CHARS = 512  # a VietQR payload is at most a few hundred characters
REFERENCE_MAX_CHARS = 25  # tag 62/05 and what banks keep of a memo
NOTE_MAX_CHARS = 50
MEMO_MAX_CHARS = 64
CLIENT_ID_MAX_CHARS = 64
URL_MAX_CHARS = 500
TOKEN_HASH_CHARS = 64  # hex SHA-256
TEXT_MAX_CHARS = 200

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _when(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


districts = Table(
    "pay_districts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_MAX_CHARS), nullable=False, unique=True),
)

communes = Table(
    "pay_communes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("district_id", Integer, ForeignKey("pay_districts.id"), nullable=False),
    Column("name", String(NAME_MAX_CHARS), nullable=False),
    UniqueConstraint("district_id", "name", name="uq_pay_communes_district_name"),
)

markets = Table(
    "pay_markets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commune_id", Integer, ForeignKey("pay_communes.id"), nullable=False),
    Column("name", String(NAME_MAX_CHARS), nullable=False),
    # "interval": every interval_days days counted from anchor_date; "lunar": the lunar days
    # of the month listed in lunar_days ("1,6,11,16,21,26").
    Column("day_rule", String(8), nullable=False),
    Column("interval_days", Integer, nullable=True),
    Column("anchor_date", Date, nullable=True),
    Column("lunar_days", String(90), nullable=True),
    Column("stall_fee_dong", BigInteger, nullable=False),
    UniqueConstraint("commune_id", "name", name="uq_pay_markets_commune_name"),
)

vendors = Table(
    "pay_vendors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("market_id", Integer, ForeignKey("pay_markets.id"), nullable=False),
    Column("name", String(NAME_MAX_CHARS), nullable=False),
    Column("phone", String(PHONE_MAX_CHARS), nullable=False, unique=True),
    Column("category", String(CATEGORY_MAX_CHARS), nullable=False),
    Column("stall", String(STALL_MAX_CHARS), nullable=False),
    Column("token_hash", String(TOKEN_HASH_CHARS), nullable=False, unique=True),
    _when("created_at"),
)

receiving_accounts = Table(
    "pay_receiving_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor_id", Integer, ForeignKey("pay_vendors.id"), nullable=False, index=True),
    Column("bank_bin", String(BIN_CHARS), nullable=False),
    Column("account_number", String(ACCOUNT_MAX_CHARS), nullable=False),
    Column("holder_name", String(NAME_MAX_CHARS), nullable=False),
    Column("ledger_account_id", BigInteger, nullable=False, unique=True),
    Column("static_payload", String(PAYLOAD_MAX_CHARS), nullable=False),
    _when("created_at"),
    UniqueConstraint("bank_bin", "account_number", name="uq_pay_receiving_accounts_bin_account"),
)

banks = Table(
    "pay_banks",
    metadata,
    Column("bin", String(BIN_CHARS), primary_key=True),
    Column("short_name", String(NAME_MAX_CHARS), nullable=False),
    # The bank's position at the switch: every interbank leg goes through these.
    Column("settlement_account_id", BigInteger, nullable=False, unique=True),
    # The bank's own money, from which customer deposits are funded.
    Column("cash_account_id", BigInteger, nullable=False, unique=True),
    _when("created_at"),
)

payment_requests = Table(
    "pay_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor_id", Integer, ForeignKey("pay_vendors.id"), nullable=False, index=True),
    Column(
        "receiving_account_id", Integer, ForeignKey("pay_receiving_accounts.id"), nullable=False
    ),
    Column("reference", String(REFERENCE_MAX_CHARS), nullable=False, unique=True),
    Column("amount_dong", BigInteger, nullable=False),
    Column("note", String(NOTE_MAX_CHARS), nullable=False),
    Column("paid_dong", BigInteger, nullable=False),
    Column("payload", String(PAYLOAD_MAX_CHARS), nullable=False),
    _when("created_at"),
    _when("expires_at"),
    Index("ix_pay_requests_account_amount", "receiving_account_id", "amount_dong"),
)

credits = Table(
    "pay_credits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_transfer_id", String(CLIENT_ID_MAX_CHARS), nullable=False, unique=True),
    Column("ledger_transfer_id", BigInteger, nullable=False, unique=True),
    Column("vendor_id", Integer, ForeignKey("pay_vendors.id"), nullable=False),
    Column(
        "receiving_account_id", Integer, ForeignKey("pay_receiving_accounts.id"), nullable=False
    ),
    Column("amount_dong", BigInteger, nullable=False),
    Column("memo", String(MEMO_MAX_CHARS), nullable=False),
    Column("payer_name", String(NAME_MAX_CHARS), nullable=False),
    Column("request_id", Integer, ForeignKey("pay_requests.id"), nullable=True),
    # static | reference | amount_window | late | unmatched (see payments.requests.Match)
    Column("match", String(16), nullable=False),
    _when("created_at"),
    Index("ix_pay_credits_vendor_created", "vendor_id", "created_at"),
    # Reconciliation and statistics read credits by business day across all vendors.
    Index("ix_pay_credits_created", "created_at"),
)

events = Table(
    "pay_events",
    metadata,
    # seq orders the feed; event_id is the stable id webhooks de-duplicate on.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("vendor_id", Integer, ForeignKey("pay_vendors.id"), nullable=False),
    Column("credit_id", Integer, ForeignKey("pay_credits.id"), nullable=False),
    Column("amount_dong", BigInteger, nullable=False),
    Column("announcement", String(TEXT_MAX_CHARS), nullable=False),
    Column("spoken", String(TEXT_MAX_CHARS), nullable=False),
    _when("created_at"),
    # Later than created_at when the bank's notification was delayed (fault injection).
    _when("visible_at"),
    # 2 when the payee bank delivered its notification twice (fault injection): the webhook is
    # then sent twice with the same event id and the receiver must drop the second.
    Column("deliveries", Integer, nullable=False),
    Index("ix_pay_events_vendor_seq", "vendor_id", "seq"),
    # Reconciliation joins events to their credit.
    Index("ix_pay_events_credit", "credit_id"),
)

webhook_endpoints = Table(
    "pay_webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor_id", Integer, ForeignKey("pay_vendors.id"), nullable=False, unique=True),
    Column("url", String(URL_MAX_CHARS), nullable=False),
    Column("secret", String(TOKEN_HASH_CHARS), nullable=False),
    Column("active", Boolean, nullable=False),
    _when("created_at"),
)

webhook_deliveries = Table(
    "pay_webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(40), nullable=False, index=True),
    Column("endpoint_id", Integer, ForeignKey("pay_webhook_endpoints.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(12), nullable=False),  # delivered | failed | gave_up
    Column("http_status", Integer, nullable=True),
    Column("error", String(TEXT_MAX_CHARS), nullable=False),
    _when("created_at"),
)

switch_messages = Table(
    "pay_switch_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_transfer_id", String(CLIENT_ID_MAX_CHARS), nullable=False, index=True),
    Column("payer_bin", String(BIN_CHARS), nullable=False),
    Column("payer_account", String(ACCOUNT_MAX_CHARS), nullable=False),
    Column("payee_bin", String(BIN_CHARS), nullable=False),
    Column("payee_account", String(ACCOUNT_MAX_CHARS), nullable=False),
    Column("amount_dong", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),  # completed | declined | timeout | offline
    Column("reason", String(64), nullable=False),
    _when("created_at", nullable=False),
    # The ledger id of the payment's credit leg (the vendor credit's ledger_transfer_id), written
    # when the switch posts or finds the chain; NULL on refusals and rows older than 0009.
    Column("ledger_transfer_id", BigInteger, nullable=True),
    Index("ix_pay_switch_messages_created", "created_at"),
    Index("ix_pay_switch_messages_ledger_transfer", "ledger_transfer_id", "created_at"),
)

bank_messages = Table(
    "pay_bank_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bank_bin", String(BIN_CHARS), nullable=False),
    Column("client_transfer_id", String(CLIENT_ID_MAX_CHARS), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # debit | credit
    Column("account_number", String(ACCOUNT_MAX_CHARS), nullable=False),
    Column("amount_dong", BigInteger, nullable=False),
    _when("created_at"),
    Index("ix_pay_bank_messages_bank_created", "bank_bin", "created_at"),
)

fault_log = Table(
    "pay_fault_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_transfer_id", String(CLIENT_ID_MAX_CHARS), nullable=False, index=True),
    Column("bank_bin", String(BIN_CHARS), nullable=False),
    Column("fault", String(32), nullable=False),
    Column("detail", String(TEXT_MAX_CHARS), nullable=False),
    _when("created_at"),
)
