"""The adoption report in every format officials ask for, from the stored summary rows.

table / csv / json / xlsx: the rows of one level and period. html / pdf: a Vietnamese briefing
with the province's key figures, adoption curves per district, QR share of sales over time, a
ranking of markets and the Bass forecasts with lagging markets flagged. Only aggregate rows are
read (payments.stats), so no buyer's name, phone or account can appear in any output.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import Connection

from merchant_app.pages.exports import ExportTable, to_csv, to_xlsx
from merchant_app.reports.charts import bar_chart, font, line_chart, to_svg
from payments.stats.forecast import MarketForecast
from payments.stats.report import AdoptionRow, market_forecasts, read_adoption
from payments.stats.sources import Level
from payments.stats.sql import Period

FORMATS = ("table", "csv", "json", "xlsx", "html", "pdf")
LEVEL_VI = {"market": "Chợ", "commune": "Xã", "district": "Huyện", "province": "Tỉnh"}
PERIOD_VI = {"day": "ngày", "week": "tuần", "month": "tháng"}
COLUMNS_VI = (
    "Đơn vị", "Kỳ bắt đầu", "Tiểu thương", "Có mã QR", "% có QR", "% nhận QR",
    "Giao dịch QR", "Giá trị QR (đ)", "% số GD bằng QR", "% giá trị bằng QR",
    "Người trả khác nhau", "Người trả lặp lại", "GD trung bình (đ)", "GD trung vị (đ)",
    "% lỗi", "% quá thời gian", "Báo tin p50 (ms)", "Báo tin p95 (ms)", "Tăng trưởng GD QR",
)  # fmt: skip


def _pct(value: float | None) -> float | str:
    return "" if value is None else round(100 * value, 1)


def _num(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def _cells(row: AdoptionRow) -> list[str | int | float]:
    return [
        row.unit_name, row.period_start.isoformat(), row.vendors_registered, row.vendors_with_qr,
        _pct(row.share_with_qr), _pct(row.share_active), row.qr_count, row.qr_value_dong,
        _pct(row.qr_share_of_sales_count), _pct(row.qr_share_of_sales_value), row.unique_payers,
        row.repeat_payers, _num(row.average_ticket_dong), _num(row.median_ticket_dong),
        _pct(row.failure_rate), _pct(row.timeout_rate), _num(row.notify_p50_ms),
        _num(row.notify_p95_ms), _pct(row.growth_qr_count),
    ]  # fmt: skip


def export_table(rows: list[AdoptionRow], level: Level, period: Period) -> ExportTable:
    title = f"Thanh toán QR theo {LEVEL_VI[level.value].lower()}, theo {PERIOD_VI[period.value]}"
    return ExportTable(title, list(COLUMNS_VI), [_cells(row) for row in rows])


@dataclass(frozen=True)
class Briefing:
    today: date
    province: AdoptionRow | None
    table: ExportTable
    district_curves: dict[str, list[tuple[float, float]]]
    share_curves: dict[str, list[tuple[float, float]]]
    x_labels: dict[float, str]
    ranking: list[tuple[str, float]]
    forecasts: list[MarketForecast]


def build_briefing(connection: Connection, level: Level, period: Period, today: date) -> Briefing:
    rows = read_adoption(connection, level, period)
    latest = max((row.period_start for row in rows), default=None)
    weeks = read_adoption(connection, Level.DISTRICT, Period.WEEK)
    province_weeks = read_adoption(connection, Level.PROVINCE, Period.WEEK)
    origin = min((row.period_start for row in province_weeks), default=today)

    def x(day: date) -> float:
        return float((day - origin).days)

    curves: dict[str, list[tuple[float, float]]] = {}
    for row in weeks:
        curves.setdefault(row.unit_name, []).append(
            (x(row.period_start), 100 * (row.share_with_qr or 0))
        )
    shares: dict[str, list[tuple[float, float]]] = {"Số giao dịch": [], "Giá trị": []}
    for row in province_weeks:
        if row.qr_share_of_sales_count is not None and row.qr_share_of_sales_value is not None:
            shares["Số giao dịch"].append((x(row.period_start), 100 * row.qr_share_of_sales_count))
            shares["Giá trị"].append((x(row.period_start), 100 * row.qr_share_of_sales_value))
    months = read_adoption(connection, Level.MARKET, Period.MONTH)
    last_month = max((row.period_start for row in months), default=None)
    ranking = sorted(
        (
            (row.unit_name, 100 * (row.share_with_qr or 0))
            for row in months
            if row.period_start == last_month
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return Briefing(
        today=today,
        province=province_weeks[-1] if province_weeks else None,
        table=export_table([row for row in rows if row.period_start == latest], level, period),
        district_curves=curves,
        share_curves=shares if shares["Giá trị"] else {},
        x_labels={x(r.period_start): r.period_start.strftime("%d/%m") for r in province_weeks},
        ranking=ranking,
        forecasts=market_forecasts(connection, target=date(today.year, 12, 31)),
    )  # fmt: skip


def render_report(
    connection: Connection, level: Level, period: Period, output_format: str, *, today: date
) -> bytes:
    if output_format in ("html", "pdf"):
        briefing = build_briefing(connection, level, period, today)
        return render_html(briefing) if output_format == "html" else render_pdf(briefing)
    rows = read_adoption(connection, level, period)
    if output_format == "json":
        body = {"level": level.value, "period": period.value, "rows": [r.as_dict() for r in rows]}
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    table = export_table(rows, level, period)
    if output_format == "csv":
        return to_csv(table)
    if output_format == "xlsx":
        return to_xlsx(table)
    return _text_table(table)


def _text_table(table: ExportTable) -> bytes:
    shown = (0, 1, 2, 4, 5, 6, 7, 8, 9, 18)  # the columns that fit a terminal
    grid = RichTable(title=table.title)
    for index in shown:
        grid.add_column(table.columns[index], justify="left" if index == 0 else "right")
    for row in table.rows:
        grid.add_row(*(str(row[index]) for index in shown))
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(grid)
    return console.export_text().encode("utf-8")


def _key_figures(province: AdoptionRow | None) -> list[tuple[str, str]]:
    if province is None:
        return [("Chưa có dữ liệu", "")]

    def pct(value: float | None) -> str:
        return "chưa có số liệu" if value is None else f"{100 * value:.0f}%"

    return [
        ("Tuần bắt đầu", province.period_start.strftime("%d/%m/%Y")),
        ("Tiểu thương đăng ký", f"{province.vendors_registered:,}".replace(",", ".")),
        ("Tiểu thương có mã QR", pct(province.share_with_qr)),
        ("Tiểu thương nhận tiền qua QR trong tuần", pct(province.share_active)),
        ("Số giao dịch QR", f"{province.qr_count:,}".replace(",", ".")),
        ("Giá trị giao dịch QR", f"{province.qr_value_dong:,} đ".replace(",", ".")),
        ("Tỷ lệ số giao dịch bằng QR", pct(province.qr_share_of_sales_count)),
        ("Tỷ lệ giá trị bằng QR", pct(province.qr_share_of_sales_value)),
    ]


def _forecast_rows(forecasts: list[MarketForecast]) -> list[list[str]]:
    rows = [["Chợ", "Có QR / tổng", "p", "q", "m", "Đạt 80%", "Đạt 100%", "Đánh giá"]]
    for item in forecasts:
        fit = item.fit
        rows.append([
            item.name, f"{item.adopters_now}/{item.vendors}",
            "" if fit is None else f"{fit.p:.4f}", "" if fit is None else f"{fit.q:.3f}",
            "" if fit is None else f"{fit.m:.0f}",
            item.date_80.strftime("%d/%m/%Y") if item.date_80 else "chưa dự báo được",
            item.date_100.strftime("%d/%m/%Y") if item.date_100 else "chưa dự báo được",
            "CHẬM" if item.lagging else "đúng tiến độ",
        ])  # fmt: skip
    return rows


def _charts(briefing: Briefing) -> list[object]:
    charts: list[object] = []
    if briefing.district_curves:
        charts.append(
            line_chart(
                "Tỷ lệ tiểu thương có mã QR theo huyện (theo tuần)",
                briefing.district_curves,
                x_labels=briefing.x_labels,
            )
        )
    if briefing.share_curves:
        charts.append(
            line_chart(
                "Tỷ lệ doanh số thanh toán bằng QR toàn tỉnh (theo tuần)",
                briefing.share_curves,
                x_labels=briefing.x_labels,
            )
        )
    if briefing.ranking:
        charts.append(
            bar_chart(
                "Xếp hạng chợ theo tỷ lệ tiểu thương có mã QR (tháng gần nhất)", briefing.ranking
            )
        )
    return charts  # fmt: skip


TITLE = "Báo cáo thanh toán không dùng tiền mặt bằng mã QR tại các chợ"


def render_html(briefing: Briefing) -> bytes:
    def table_html(rows: Sequence[Sequence[object]]) -> str:
        head, *body = rows
        cells = "".join(f"<th>{escape(str(c))}</th>" for c in head)
        lines = "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in body
        )
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>"

    figures = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
        for k, v in _key_figures(briefing.province)
    )
    charts = "".join(f"<figure>{to_svg(chart)}</figure>" for chart in _charts(briefing))  # type: ignore[arg-type]
    main_table = table_html([briefing.table.columns, *briefing.table.rows])
    page = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{escape(TITLE)}</title>
<style>body{{font-family:"DejaVu Sans",sans-serif;max-width:60rem;margin:auto;padding:1rem}}
table{{border-collapse:collapse;margin:1rem 0;font-size:.85rem}}
td,th{{border:1px solid #333;padding:.2rem .4rem}}
td{{text-align:right}}td:first-child{{text-align:left}}figure{{margin:1rem 0}}</style></head>
<body><h1>{escape(TITLE)}</h1><p>Ngày lập: {briefing.today.strftime("%d/%m/%Y")}</p>
<h2>Số liệu chính toàn tỉnh</h2><table>{figures}</table>
<h2>Biểu đồ</h2>{charts}
<h2>{escape(briefing.table.title)} (kỳ gần nhất)</h2>{main_table}
<h2>Dự báo phổ cập mã QR (mô hình Bass)</h2>{table_html(_forecast_rows(briefing.forecasts))}
<p>Chợ "CHẬM": theo đường Bass đã khớp, chưa đạt 80% tiểu thương có mã QR trước 31/12.</p>
</body></html>
"""  # fmt: skip
    return page.encode("utf-8")


def render_pdf(briefing: Briefing) -> bytes:
    name = font()
    styles = getSampleStyleSheet()
    heading = styles["Heading1"].clone("rp-h1", fontName=name)
    subheading = styles["Heading2"].clone("rp-h2", fontName=name)
    body = styles["BodyText"].clone("rp-body", fontName=name)
    grid_style = TableStyle(
        [("FONT", (0, 0), (-1, -1), name, 7), ("GRID", (0, 0), (-1, -1), 0.4, "black")]
    )
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, title=TITLE
    )
    story: list[object] = [
        Paragraph(TITLE, heading),
        Paragraph(f"Ngày lập: {briefing.today.strftime('%d/%m/%Y')}", body),
        Paragraph("Số liệu chính toàn tỉnh", subheading),
        Table([list(pair) for pair in _key_figures(briefing.province)], style=grid_style),
        Spacer(1, 8),
    ]
    for chart in _charts(briefing):
        story += [chart, Spacer(1, 10)]
    story += [
        Paragraph("Dự báo phổ cập mã QR (mô hình Bass)", subheading),
        Table(_forecast_rows(briefing.forecasts), style=grid_style, repeatRows=1),
    ]
    document.build(story)  # type: ignore[arg-type]
    return out.getvalue()  # fmt: skip
