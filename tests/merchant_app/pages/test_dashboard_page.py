"""The officials' dashboard over HTTP: drill-down, charts, exports, bad filters."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from merchant_app.pages.i18n import Translator
from merchant_app.users import Role
from payments.stats.report import read_adoption, refresh_all
from payments.stats.sources import Level as StatsLevel
from payments.stats.sql import Period
from tests.merchant_app.pages.site import Site, login
from tests.payments.stats.world import DAYS, FIRST_DAY, build_world, cash_source

OFFICIAL = "0912000001"
RANGE = f"from={FIRST_DAY.isoformat()}&to={(FIRST_DAY + timedelta(days=DAYS - 1)).isoformat()}"


@pytest.fixture
def official(site: Site):  # type: ignore[no-untyped-def]
    build_world(site.engine)
    site.add_user(OFFICIAL, Role.OFFICIAL)
    client = site.client()
    login(client, OFFICIAL)
    return client


def _number(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}">([^<]+)<', html)
    assert match is not None, key
    return match.group(1).strip()


def test_province_page_drills_down_to_a_market(official) -> None:  # type: ignore[no-untyped-def]
    province = official.get(f"/dashboard?{RANGE}")
    assert province.status_code == 200
    assert "Đại Từ" in province.text
    assert "Võ Nhai" in province.text
    svgs = re.findall(r"<svg.*?</svg>", province.text, flags=re.S)
    assert len(svgs) == 2  # trend and ranking
    for svg in svgs:
        ElementTree.fromstring(svg)
    district = official.get(f"/dashboard?district=1&{RANGE}")
    assert "Hùng Sơn" in district.text
    assert "Võ Nhai" not in district.text
    market = official.get(f"/dashboard?market=1&{RANGE}")
    assert market.status_code == 200
    assert "Chợ 1" in market.text
    assert 'href="/dashboard?district=1"' in market.text  # breadcrumb back up
    assert int(_number(market.text, "qr_count")) < int(_number(province.text, "qr_count"))


def test_exports_carry_the_same_numbers_as_the_page(official, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = official.get(f"/dashboard?{RANGE}").text
    rows = list(
        csv.reader(
            io.StringIO(
                official.get(f"/dashboard/export?format=csv&{RANGE}").content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0][0] == "Huyện"
    assert sum(int(r[6]) for r in rows[1:]) == int(_number(page, "qr_count"))
    sheet = load_workbook(
        io.BytesIO(official.get(f"/dashboard/export?format=xlsx&{RANGE}").content)
    ).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:2] == [rows[1][0], int(rows[1][1])]
    pdf = official.get(f"/dashboard/export?format=pdf&{RANGE}")
    assert pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Đại Từ" in text


BAD_FILTERS = (
    "from=2026-13-01",
    "from=yesterday",
    "to=2026-01-01&from=2026-02-01",
    "from=2020-01-01&to=2026-01-01",
    "market=abc",
    "market=" + "9" * 12,
    "format=exe",
)


def test_bad_filters_get_a_vietnamese_message(official) -> None:  # type: ignore[no-untyped-def]
    for query in BAD_FILTERS:
        path = "/dashboard/export" if query.startswith("format") else "/dashboard"
        response = official.get(f"{path}?{query}")
        assert response.status_code == 400, query
        assert "Có lỗi" in response.text, query


def test_unknown_area_is_404(official) -> None:  # type: ignore[no-untyped-def]
    assert official.get("/dashboard?market=999").status_code == 404


def test_dashboard_has_no_form_that_changes_anything(official) -> None:  # type: ignore[no-untyped-def]
    html = official.get(f"/dashboard?{RANGE}").text
    forms = re.findall(r"<form[^>]*>", html)
    assert all('method="get"' in f or 'action="/logout"' in f for f in forms)


def test_forecast_section_shows_a_bass_fit_per_market(official) -> None:  # type: ignore[no-untyped-def]
    html = official.get(f"/dashboard?{RANGE}").text
    section = html.split('id="lagging"')[1].split("</section>")[0]
    assert section.count("<tr>") == 1 + 4  # header + the four markets
    assert "mô hình Bass" in section or "Chưa đủ số liệu" in section


def test_reconciliation_section_lists_each_day_with_its_exceptions(
    official,
    site: Site,  # type: ignore[no-untyped-def]
) -> None:
    assert "Chưa đối soát" in official.get(f"/dashboard?{RANGE}").text
    from payments.reconciliation.job import reconcile_day

    result = reconcile_day(site.engine, FIRST_DAY, now=site.clock.now())
    html = official.get(f"/dashboard?{RANGE}").text
    section = html.split('id="recon"')[1].split("</section>")[0]
    assert FIRST_DAY.strftime("%d/%m/%Y") in section
    if result.discrepancies:
        assert f"({len(result.discrepancies)}" in section or "Có chênh lệch" in section
        first_kind = result.discrepancies[0].kind.value
        assert Translator("vi")(f"recon.{first_kind}") in section
    else:
        assert "Khớp" in section


def test_month_table_shows_issue_7s_stored_statistics_after_a_refresh(
    official,  # type: ignore[no-untyped-def]
    site: Site,
) -> None:
    assert "Chưa có số liệu tổng hợp" in official.get(f"/dashboard?{RANGE}").text
    refresh_all(site.engine, now=site.clock.now(), cash=cash_source())
    with Session(site.engine) as session:
        (stored,) = read_adoption(
            session.connection(),
            StatsLevel.PROVINCE,
            Period.MONTH,
            first=FIRST_DAY.replace(day=1),
            last=FIRST_DAY,
            unit_id=0,
        )
    html = official.get(f"/dashboard?{RANGE}").text
    table = html.split('id="months-table"')[1].split("</table>")[0]
    share = stored.qr_share_of_sales_count
    assert share is not None
    assert f"{100 * share:.0f}%" in table
    assert FIRST_DAY.strftime("%m/%Y") in table
