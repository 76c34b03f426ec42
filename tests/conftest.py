"""Shared fixtures: real databases (SQLite and PostgreSQL) and a real browser.

``db`` runs a test once on a fresh SQLite file and once on a fresh PostgreSQL schema. PostgreSQL
is the local server (127.0.0.1:5432, user postgres, trust auth) unless
``MARKETPAY_TEST_POSTGRES_URL`` names another; a database is created for the test run and dropped
after. When ``MARKETPAY_REQUIRE_POSTGRES=1`` (or ``MARKETPAY_REQUIRE_BROWSER=1`` for Chromium) is
set, as CI does, a missing service fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from merchant_app.database import make_engine
from merchant_app.schema import create_all

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _required(flag: str) -> bool:
    return os.environ.get(flag, "") == "1"


def _unavailable(flag: str, reason: str) -> None:
    if _required(flag):
        pytest.fail(f"{reason} ({flag}=1, so this fails instead of skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str | None]:
    """A fresh database on the PostgreSQL server for this test run, or None if unreachable."""
    admin_url = make_url(os.environ.get("MARKETPAY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"marketpay_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        yield None
        return
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _postgres_engine(server_url: str | None) -> Engine:
    if server_url is None:
        _unavailable("MARKETPAY_REQUIRE_POSTGRES", "PostgreSQL is not reachable at 127.0.0.1:5432")
    assert server_url is not None
    engine = make_engine(server_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all, on each backend in turn."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        engine = _postgres_engine(request.getfixturevalue("postgres_server_url"))
    yield engine
    engine.dispose()


@pytest.fixture
def db(empty_db: Engine) -> Engine:
    """An engine on an empty database with every table, on each backend in turn."""
    create_all(empty_db)
    return empty_db


@pytest.fixture
def empty_db_url(empty_db: Engine) -> str:
    """The URL of ``empty_db``, for tests that migrate it themselves (CLI, server)."""
    return empty_db.url.render_as_string(hide_password=False)


@pytest.fixture
def pg_engine(postgres_server_url: str | None) -> Iterator[Engine]:
    """An engine on an empty PostgreSQL schema with every table (PostgreSQL-only tests)."""
    engine = _postgres_engine(postgres_server_url)
    create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_url(db: Engine) -> str:
    """The URL of ``db``, for code under test that builds its own engine (CLI, app)."""
    return db.url.render_as_string(hide_password=False)


def chromium_path() -> str | None:
    for candidate in CHROMIUM_PATHS:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless system Chromium driven by Playwright (never a downloaded browser)."""
    executable = chromium_path()
    if executable is None:
        _unavailable("MARKETPAY_REQUIRE_BROWSER", "Chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()
