"""Fixtures for the pages: the real app on each database, a client, a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from merchant_app.app import create_app
from merchant_app.clock import ManualClock
from merchant_app.settings import load_settings
from tests.merchant_app.pages.site import START, Site
from tests.merchant_app.pages.world import World, build_world


@pytest.fixture
def site(db: Engine, tmp_path: Path) -> Iterator[Site]:
    url = db.url.render_as_string(hide_password=False)
    app = create_app(load_settings(data_dir=tmp_path, database_url=url))
    clock = ManualClock(START)
    app.state.clock = clock
    with TestClient(app):  # runs the lifespan once so app.state.engine exists
        yield Site(app, db, clock, tmp_path)


@pytest.fixture
def world(site: Site) -> World:
    return build_world(site)
