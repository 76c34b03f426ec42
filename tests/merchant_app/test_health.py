"""``/healthz`` reports the database status on each backend; migrations match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from merchant_app.app import create_app
from merchant_app.database import make_engine
from merchant_app.migrate import upgrade_to_head
from merchant_app.schema import all_metadata
from merchant_app.settings import load_settings


def test_healthz_reports_database(empty_db_url: str, tmp_path: Path) -> None:
    engine = make_engine(empty_db_url)
    upgrade_to_head(engine)
    engine.dispose()
    app = create_app(load_settings(data_dir=tmp_path, database_url=empty_db_url))
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] in {"sqlite", "postgresql"}
    assert body["database"]["revision"] != "base"


def test_healthz_is_503_when_database_is_gone(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    app = create_app(load_settings(data_dir=tmp_path, database_url=url))
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "unreachable"


def test_migrations_produce_exactly_the_models(empty_db: Engine) -> None:
    """Upgrading an empty database yields the tables the code declares (``alembic check``)."""
    upgrade_to_head(empty_db)
    with empty_db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, all_metadata())
    assert diffs == []


def test_openapi_docs_are_served(tmp_path: Path) -> None:
    app = create_app(load_settings(data_dir=tmp_path))
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "MarketPay"
