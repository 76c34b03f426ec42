"""The ledger's tables (SQLAlchemy 2), on one ``metadata`` with a naming convention.

``ledger_transfers`` is append-only; ``ledger_accounts`` carries the four balances, updated in
the same transaction as the transfer rows; ``ledger_head`` is the one-row chain head (last
timestamp, last hash, expiry watermark): the serialization point for writers. On PostgreSQL two
triggers back the rules up: balances within the flagged limits, and no UPDATE/DELETE of a
transfer row. They are installed by ``metadata.create_all`` (``after_create`` DDL below) and by
the Alembic migration (``POSTGRES_TRIGGERS``).
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.model import CODE_MAX_CHARS, HOLDER_MAX_CHARS, MEMO_MAX_CHARS, REFERENCE_MAX_CHARS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)
HEAD_ID = 1


class Base(DeclarativeBase):
    metadata = metadata


class AccountRow(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(CODE_MAX_CHARS), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    flags: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(HOLDER_MAX_CHARS))
    meta: Mapped[dict[str, object]] = mapped_column("metadata", JSON)
    debits_pending: Mapped[int] = mapped_column(BigInteger)
    debits_posted: Mapped[int] = mapped_column(BigInteger)
    credits_pending: Mapped[int] = mapped_column(BigInteger)
    credits_posted: Mapped[int] = mapped_column(BigInteger)
    timestamp_ns: Mapped[int] = mapped_column(BigInteger)


class TransferRow(Base):
    __tablename__ = "ledger_transfers"
    __table_args__ = (
        Index("ix_ledger_transfers_debit_ts", "debit_account_id", "timestamp_ns"),
        Index("ix_ledger_transfers_credit_ts", "credit_account_id", "timestamp_ns"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    debit_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id"))
    amount_dong: Mapped[int] = mapped_column(BigInteger)
    requested_amount_dong: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX_CHARS), index=True)
    memo: Mapped[str] = mapped_column(String(MEMO_MAX_CHARS))
    flags: Mapped[int] = mapped_column(Integer)
    # Set only on post/void rows; unique, so a pending transfer is resolved at most once.
    pending_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    timeout_s: Mapped[int] = mapped_column(BigInteger)
    expires_at_ns: Mapped[int | None] = mapped_column(BigInteger, index=True)
    meta: Mapped[dict[str, object]] = mapped_column("metadata", JSON)
    timestamp_ns: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class HeadRow(Base):
    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_timestamp_ns: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    transfer_count: Mapped[int] = mapped_column(BigInteger)
    expired_through_ns: Mapped[int] = mapped_column(BigInteger)
    # The earliest timeout of a pending transfer not yet swept (None: none): lets a batch skip
    # the expiry query entirely until something can actually be due.
    next_expiry_ns: Mapped[int | None] = mapped_column(BigInteger)


accounts: Table = AccountRow.__table__  # type: ignore[assignment]
transfers: Table = TransferRow.__table__  # type: ignore[assignment]
head: Table = HeadRow.__table__  # type: ignore[assignment]

HEAD_INSERT = (
    "INSERT INTO ledger_head (id, last_timestamp_ns, last_hash, transfer_count, "
    f"expired_through_ns, next_expiry_ns) VALUES ({HEAD_ID}, 0, '{'0' * 64}', 0, 0, NULL)"
)

# The balance invariant again, in the database (hordak's check_leg idea): a balance update that
# breaks a flagged account's limit, or goes negative, is refused whatever wrote it.
POSTGRES_ACCOUNT_TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_check_account_limits() RETURNS trigger AS $$
BEGIN
  IF NEW.debits_pending < 0 OR NEW.debits_posted < 0
     OR NEW.credits_pending < 0 OR NEW.credits_posted < 0 THEN
    RAISE EXCEPTION 'ledger account %%: negative balance', NEW.id USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.flags & 2) <> 0 AND NEW.debits_pending + NEW.debits_posted > NEW.credits_posted THEN
    RAISE EXCEPTION 'ledger account %%: debits exceed credits', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.flags & 4) <> 0 AND NEW.credits_pending + NEW.credits_posted > NEW.debits_posted THEN
    RAISE EXCEPTION 'ledger account %%: credits exceed debits', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_accounts_limits BEFORE UPDATE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_check_account_limits();
"""

POSTGRES_TRANSFER_TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_transfers_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger_transfers is append-only: %% of transfer %% refused', TG_OP, OLD.id
    USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfers_append_only();
"""

POSTGRES_TRIGGERS = (POSTGRES_ACCOUNT_TRIGGER, POSTGRES_TRANSFER_TRIGGER)


def _ddl(statement: str) -> DDL:
    return DDL(statement)  # type: ignore[no-untyped-call]


event.listen(
    accounts, "after_create", _ddl(POSTGRES_ACCOUNT_TRIGGER).execute_if(dialect="postgresql")
)
event.listen(
    transfers, "after_create", _ddl(POSTGRES_TRANSFER_TRIGGER).execute_if(dialect="postgresql")
)
event.listen(head, "after_create", _ddl(HEAD_INSERT))
