"""``/api/v1/stats`` and ``/api/v1/reconciliation`` over HTTP: who may see what, and the figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from merchant_app.app import create_app
from merchant_app.clock import ManualClock
from merchant_app.settings import load_settings
from merchant_app.users import Role
from tests.merchant_app.pages.site import Site, login
from tests.payments.reconciliation.world import FIRST_DAY, build_month
from tests.payments.stats.world import DAYS, build_world
from tests.payments.stats.world import FIRST_DAY as STATS_FIRST_DAY

TOKEN = "operator-secret-for-tests"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
OFFICIAL = "0912000007"
VENDOR = "0912000008"


@pytest.fixture
def site(db: Engine, tmp_path: Path) -> Iterator[Site]:
    url = db.url.render_as_string(hide_password=False)
    app = create_app(load_settings(data_dir=tmp_path, database_url=url, operator_token=TOKEN))
    clock = ManualClock(datetime(2026, 6, 10, tzinfo=UTC))
    app.state.clock = clock
    with TestClient(app):
        yield Site(app, db, clock, tmp_path)


def _official(site: Site) -> TestClient:
    site.add_user(OFFICIAL, Role.OFFICIAL)
    client = site.client()
    login(client, OFFICIAL)
    return client


def test_statistics_need_an_official_or_the_operator(site: Site) -> None:
    build_world(site.engine)
    anonymous = site.client()
    assert anonymous.get("/api/v1/stats/adoption").status_code == 401
    assert (
        anonymous.get("/api/v1/stats/adoption", headers={"Authorization": "Bearer x"}).status_code
        == 403
    )
    official = _official(site)
    assert official.post("/api/v1/stats/refresh").status_code == 403
    last = STATS_FIRST_DAY + timedelta(days=DAYS - 1)
    refreshed = anonymous.post(
        f"/api/v1/stats/refresh?from={STATS_FIRST_DAY}&to={last}", headers=OPERATOR
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["rows_written"] == (4 + 3 + 2 + 1) * (DAYS + 2 + 2)
    body = official.get("/api/v1/stats/adoption?by=district&period=month").json()
    assert [row["unit_name"] for row in body["rows"]] == ["Đại Từ", "Võ Nhai"] * 2
    assert sum(row["qr_count"] for row in body["rows"]) > 0
    assert {"share_with_qr", "qr_share_of_sales_count", "growth_qr_count"} <= set(body["rows"][0])
    forecast = official.get("/api/v1/stats/forecast").json()
    assert len(forecast["markets"]) == 4
    assert all("lagging" in item for item in forecast["markets"])


def test_bad_statistics_parameters_are_422(site: Site) -> None:
    response = site.client().get("/api/v1/stats/adoption?by=village", headers=OPERATOR)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_reconciliation_run_and_what_each_role_sees(site: Site) -> None:
    build_month(site.engine, days=2)
    anonymous = site.client()
    day = FIRST_DAY.isoformat()
    run = anonymous.post(
        f"/api/v1/reconciliation/run?from={day}&to={FIRST_DAY + timedelta(days=1)}",
        headers=OPERATOR,
    )
    assert run.status_code == 200
    assert run.json()["days"] == [day, (FIRST_DAY + timedelta(days=1)).isoformat()]
    official = _official(site)
    assert official.post(f"/api/v1/reconciliation/run?from={day}").status_code == 403
    listed = official.get(f"/api/v1/reconciliation/runs?from={day}&to={day}").json()["runs"]
    assert [item["business_day"] for item in listed] == [day]
    operator_view = anonymous.get(f"/api/v1/reconciliation/runs/{day}", headers=OPERATOR).json()
    official_view = official.get(f"/api/v1/reconciliation/runs/{day}").json()
    assert len(official_view["exceptions"]) == len(operator_view["exceptions"])
    assert len(official_view["settlement"]) == 3
    for item in official_view["exceptions"]:
        assert "switch_ref" not in item
        assert "detail" not in item
    # Buyer accounts in the test world start with 77; none may reach an official.
    assert ":77" not in official.get(f"/api/v1/reconciliation/runs/{day}").text


def test_unknown_days_and_bad_dates(site: Site) -> None:
    client = site.client()
    assert client.get("/api/v1/reconciliation/runs/2026-07-01", headers=OPERATOR).status_code == 404
    assert client.get("/api/v1/reconciliation/runs/01-07-2026", headers=OPERATOR).status_code == 422
    no_data = client.post("/api/v1/reconciliation/run?from=2026-07-01", headers=OPERATOR)
    assert no_data.status_code == 404
    assert "no payment records" in no_data.json()["message"]


def test_refreshing_an_empty_database_is_a_clear_409(site: Site) -> None:
    response = site.client().post("/api/v1/stats/refresh", headers=OPERATOR)
    assert response.status_code == 409  # the data is missing, not the request wrong
    assert response.json() == {
        "error": "conflict",
        "message": "no payment activity recorded yet: nothing to summarize",
    }
