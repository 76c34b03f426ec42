"""Tables of the users package: its own MetaData, registered in merchant_app.schema."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
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

PHONE_MAX_CHARS = 15  # E.164 without the plus sign
DISPLAY_NAME_MAX_CHARS = 80
PASSWORD_HASH_MAX_CHARS = 200

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(PHONE_MAX_CHARS), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("display_name", String(DISPLAY_NAME_MAX_CHARS), nullable=False),
    Column("password_hash", String(PASSWORD_HASH_MAX_CHARS), nullable=False),
    # The payments vendor this login acts for (role vendor only). Not a database foreign key:
    # the vendor table belongs to payments/ and its own MetaData; the service checks it exists.
    Column("vendor_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("role IN ('vendor', 'official', 'operator')", name="role"),
    CheckConstraint("(role = 'vendor') = (vendor_id IS NOT NULL)", name="vendor_link"),
)

# One row per login attempt; the rate limit counts recent failures per phone in the database so
# that several stateless app servers share one limit.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(PHONE_MAX_CHARS), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_attempts_phone_at", "phone", "at"),
)
