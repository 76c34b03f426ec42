"""One engine factory for SQLite (WAL, foreign keys, busy timeout) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from merchant_app.settings import ConfigError, parse_database_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 5
SQLITE_BEGIN_MODES = {"IMMEDIATE": "IMMEDIATE", "DEFERRED": "DEFERRED"}


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings MarketPay relies on for each backend."""
    try:
        url = parse_database_url(database_url)
    except ValueError as exc:
        raise ConfigError("MARKETPAY_DATABASE_URL", str(exc)) from None
    if url.drivername == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
        pool_pre_ping=True,
        **kwargs,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN decide when a transaction starts (pysqlite's own handling
        # defers BEGIN and breaks BEGIN IMMEDIATE); see SQLAlchemy's "Serializable isolation /
        # Savepoints / Transactional DDL" notes for pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Transactions take the write lock up front (BEGIN IMMEDIATE) so a writer never fails
        # with SQLITE_BUSY upgrading a read lock (busy_timeout does not cover that case).
        # Read-only work may opt out: connection.execution_options(sqlite_begin="DEFERRED").
        # Straight to the driver: through exec_driver_sql this one statement cost ~30 µs of
        # SQLAlchemy's per-statement work, half a single-transfer ledger call's overhead.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.connection.driver_connection.execute(f"BEGIN {SQLITE_BEGIN_MODES[mode]}")


def check_database(engine: Engine) -> str:
    """Return "ok" or raise ConfigError naming the database setting."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            "MARKETPAY_DATABASE_URL",
            f"cannot reach {engine.url.render_as_string(hide_password=True)}: {reason}",
        ) from None
    return "ok"
