"""``marketpay reconcile`` and ``marketpay report adoption``.

``reconcile [--date D | --from D --to D] [--settlement-dir DIR] [--json]``: exit 0 when the
books agree, 1 when exceptions were found (listed by class), 2 on bad input or no data.
``report adoption [--by ...] [--period ...] [--format ...] [-o FILE]``: refreshes the summary
rows inside the database, then prints or writes the report.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from merchant_app.cli.errors import UsageProblem
from merchant_app.clock import SystemClock
from merchant_app.database import check_database, make_engine
from merchant_app.reports.adoption import FORMATS, render_report
from merchant_app.reports.cash import cash_observations
from merchant_app.settings import load_settings
from payments.daily import close_days
from payments.reconciliation.job import (
    ReconciliationError,
    RunSummary,
    parse_business_date,
    reconcile_range,
)
from payments.stats.forecast import ForecastError
from payments.stats.refresh import StatsInputError
from payments.stats.report import refresh_all
from payments.stats.sources import Level
from payments.stats.sql import Period

report_app = typer.Typer(help="Reports for officials.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile)
    app.add_typer(report_app, name="report")


def _range(day: str | None, first: str | None, last: str | None) -> tuple[date, date]:
    if day is not None and (first is not None or last is not None):
        raise UsageProblem("give either --date or --from/--to, not both")
    try:
        if day is not None:
            parsed = parse_business_date(day)
            return parsed, parsed
        if first is None or last is None:
            raise UsageProblem("give --date D, or both --from D and --to D")
        return parse_business_date(first), parse_business_date(last)
    except ReconciliationError as exc:
        raise UsageProblem(str(exc)) from None


def reconcile(
    day: Annotated[str | None, typer.Option("--date", help="Business day YYYY-MM-DD.")] = None,
    first: Annotated[str | None, typer.Option("--from", help="First day of a range.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day of a range.")] = None,
    settlement_dir: Annotated[
        Path | None, typer.Option("--settlement-dir", help="The banks' settlement CSV files.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    with_stats: Annotated[
        bool,
        typer.Option(
            "--stats",
            help="Also refresh the adoption statistics of the periods the days fall in, at the "
            "same time (the daily job).",
        ),
    ] = False,
) -> int:
    """Three-way reconciliation of switch, ledger and merchant records for a day or range."""
    lo, hi = _range(day, first, last)
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    summary_rows: int | None = None
    now = SystemClock().now()
    try:
        check_database(engine)
        if with_stats:
            with engine.connect() as connection:
                cash = cash_observations(connection)
            run = close_days(engine, lo, hi, now=now, cash=cash, settlement_dir=settlement_dir)
            summary, summary_rows = run.reconciliation, run.summary_rows
        else:
            summary = reconcile_range(engine, lo, hi, now=now, settlement_dir=settlement_dir)
    except (ReconciliationError, StatsInputError) as exc:
        raise UsageProblem(str(exc)) from None
    finally:
        engine.dispose()
    if as_json:
        report = _summary_json(summary)
        if summary_rows is not None:
            report["statistics_rows"] = summary_rows
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        _print_summary(summary)
        if summary_rows is not None:
            Console().print(f"adoption statistics refreshed: {summary_rows} summary rows")
    return summary.exit_code


def _summary_json(summary: RunSummary) -> dict[str, object]:
    return {
        "exit_code": summary.exit_code,
        "exceptions_by_kind": summary.counts(),
        "days_without_data": [day.isoformat() for day in summary.empty_days],
        "days": [
            {
                "date": day.day.isoformat(),
                "switch_records": day.switch_records,
                "ledger_credits": day.ledger_credits,
                "notifications": day.notifications,
                "matched": day.matched,
                "exceptions_by_kind": day.counts(),
                "exceptions": [
                    {
                        "kind": item.kind.value,
                        "switch_ref": item.switch_ref,
                        "bank_bin": item.bank_bin,
                        "vendor_id": item.vendor_id,
                        "request_id": item.request_id,
                        "amount_expected_dong": item.amount_expected_dong,
                        "amount_found_dong": item.amount_found_dong,
                        "ledger_transfer_ids": [str(i) for i in item.ledger_transfer_ids],
                        "notification_ids": list(item.notification_ids),
                        "detail": item.detail,
                        "suggested_fix": item.suggested_fix,
                    }
                    for item in day.discrepancies
                ],
                "settlement": [
                    {
                        "bank_bin": check.bank_bin,
                        "status": check.status.value,
                        "switch_net_dong": check.switch_net_dong,
                        "ledger_net_dong": check.ledger_net_dong,
                        "file_net_dong": check.file_net_dong,
                        "problem": check.problem,
                    }
                    for check in day.settlement
                ],
            }
            for day in summary.days
        ],
    }


def _print_summary(summary: RunSummary) -> None:
    console = Console()
    table = Table(title="reconciliation")
    for column in ("day", "switch", "ledger", "notified", "matched", "exceptions"):
        table.add_column(column, justify="right")
    for day in summary.days:
        table.add_row(
            day.day.isoformat(),
            str(day.switch_records),
            str(day.ledger_credits),
            str(day.notifications),
            str(day.matched),
            ", ".join(f"{kind} {count}" for kind, count in day.counts().items()) or "none",
        )
    console.print(table)
    if summary.empty_days:
        console.print(
            f"days without records: {', '.join(d.isoformat() for d in summary.empty_days)}"
        )
    totals = summary.counts()
    console.print(
        "exceptions by class: " + (", ".join(f"{k}={v}" for k, v in totals.items()) or "none")
    )


@report_app.command("adoption")
def adoption(
    by: Annotated[Level, typer.Option("--by", help="Aggregation level.")] = Level.MARKET,
    period: Annotated[Period, typer.Option("--period", help="Period length.")] = Period.WEEK,
    output_format: Annotated[
        str, typer.Option("--format", help="table|csv|json|xlsx|html|pdf")
    ] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> int:
    """QR adoption per market, commune, district or province, per day, week or month."""
    if output_format not in FORMATS:
        raise UsageProblem(f"--format {output_format!r}: use one of {', '.join(FORMATS)}")
    if output_format in ("xlsx", "pdf") and output is None:
        raise UsageProblem(f"--format {output_format} is binary: give -o FILE")
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    now = SystemClock().now()
    try:
        check_database(engine)
        with engine.connect() as connection:
            cash = cash_observations(connection)
        refresh_all(engine, now=now, cash=cash)
        with engine.connect() as connection:
            content = render_report(connection, by, period, output_format, today=now.date())
    except (StatsInputError, ForecastError) as exc:
        raise UsageProblem(str(exc)) from None
    finally:
        engine.dispose()
    if output is not None:
        output.write_bytes(content)
        Console(stderr=True).print(f"wrote {output} ({len(content)} bytes)")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0
