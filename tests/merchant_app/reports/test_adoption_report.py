"""`marketpay report adoption` in every format, from real summary rows; no buyer data leaks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from merchant_app.cli import main
from merchant_app.reports.adoption import render_report
from payments.stats.report import read_adoption, refresh_all
from payments.stats.sources import Level
from payments.stats.sql import Period
from tests.payments.stats.world import BUYER_NAME, DAYS, FIRST_DAY, build_world, cash_source

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BUYER_ACCOUNTS = [f"KH{n:06d}" for n in range(1, 26)]


@pytest.fixture
def summarized(db: Engine) -> Engine:
    build_world(db)
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    refresh_all(db, now=NOW, cash=cash_source(), first=FIRST_DAY, last=last)
    return db


def _no_buyer_data(text: str) -> None:
    assert BUYER_NAME not in text
    assert not [account for account in BUYER_ACCOUNTS if account in text]


def test_csv_and_json_carry_the_stored_figures(summarized: Engine) -> None:
    with summarized.connect() as connection:
        rows = read_adoption(connection, Level.DISTRICT, Period.WEEK)
        as_csv = render_report(connection, Level.DISTRICT, Period.WEEK, "csv", today=NOW.date())
        as_json = render_report(connection, Level.DISTRICT, Period.WEEK, "json", today=NOW.date())
    parsed = list(csv.reader(io.StringIO(as_csv.decode("utf-8-sig"))))
    assert parsed[0][:3] == ["Đơn vị", "Kỳ bắt đầu", "Tiểu thương"]
    assert len(parsed) == 1 + len(rows) == 1 + 2 * 2  # two districts × two weeks
    assert [int(line[6]) for line in parsed[1:]] == [row.qr_count for row in rows]
    body = json.loads(as_json)
    assert [item["qr_value_dong"] for item in body["rows"]] == [r.qr_value_dong for r in rows]
    assert body["rows"][0]["share_with_qr"] == rows[0].share_with_qr
    _no_buyer_data(as_csv.decode("utf-8-sig") + as_json.decode("utf-8"))


def test_xlsx_opens_with_one_row_per_unit_and_period(summarized: Engine) -> None:
    with summarized.connect() as connection:
        content = render_report(connection, Level.MARKET, Period.MONTH, "xlsx", today=NOW.date())
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Đơn vị"
    assert len(values) == 1 + 4 * 2  # four markets × two months


def test_html_briefing_has_vietnamese_charts_and_forecasts(summarized: Engine) -> None:
    with summarized.connect() as connection:
        html = render_report(connection, Level.MARKET, Period.WEEK, "html", today=NOW.date())
    text = html.decode("utf-8")
    assert text.count("<svg") == 3  # district curves, QR share of sales, market ranking
    assert "Tỷ lệ tiểu thương có mã QR theo huyện" in text
    assert "Đại Từ" in text
    assert "Võ Nhai" in text
    assert "Dự báo phổ cập mã QR" in text
    _no_buyer_data(text)


def test_pdf_briefing_renders_vietnamese_text(summarized: Engine, tmp_path: Path) -> None:
    with summarized.connect() as connection:
        pdf = render_report(connection, Level.MARKET, Period.WEEK, "pdf", today=NOW.date())
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Báo cáo thanh toán không dùng tiền mặt" in text
    assert "Xếp hạng chợ" in text
    _no_buyer_data(text)


def test_cli_writes_the_report_and_refuses_a_binary_format_to_the_terminal(
    summarized: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path))
    out = tmp_path / "adoption.xlsx"
    assert (
        main(
            [
                "report",
                "adoption",
                "--by",
                "commune",
                "--period",
                "month",
                "--format",
                "xlsx",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_bytes().startswith(b"PK")
    assert main(["report", "adoption", "--format", "pdf"]) == 2
    assert "give -o FILE" in capsys.readouterr().err
    assert main(["report", "adoption", "--format", "docx"]) == 2


def test_cli_report_uses_the_simulations_cash_observations(
    db: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from payments.simulation.engine import Simulation
    from payments.simulation.scenario import load_scenario

    Simulation(db, load_scenario("thai-nguyen"), days=3, scale=0.3, only=["dai-tu"]).run()
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path))
    out = tmp_path / "adoption.json"
    assert (
        main(
            [
                "report",
                "adoption",
                "--by",
                "province",
                "--period",
                "day",
                "--format",
                "json",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    active = [row for row in rows if row["qr_count"] or row["cash_count"]]
    assert active
    assert all(row["qr_share_of_sales_count"] is not None for row in active)
    assert all(0 < row["qr_share_of_sales_count"] < 1 for row in active if row["qr_count"])
