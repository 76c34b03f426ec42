"""``marketpay serve`` serves /healthz over real HTTP and the API docs render in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.live_server import live_server


def test_serve_answers_healthz_over_http(empty_db_url: str, tmp_path: Path) -> None:
    with live_server(tmp_path, empty_db_url) as base_url:
        response = httpx.get(f"{base_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "ok"
    assert "MarketPay serving on http://127.0.0.1:" in (tmp_path / "server.log").read_text()


def test_api_docs_render_in_browser(browser: Any, tmp_path: Path) -> None:
    with live_server(tmp_path) as base_url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base_url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        heading = page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector("text=/healthz", timeout=15_000)
        title = page.title()
        page.close()
    assert "MarketPay" in title
    assert heading.startswith("MarketPay")
