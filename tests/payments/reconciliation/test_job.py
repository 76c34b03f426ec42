"""The job against a month of real switch traffic with seeded faults: the fault log is the truth."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from payments.reconciliation.job import (
    EXIT_CLEAN,
    EXIT_EXCEPTIONS,
    NoDataForDay,
    ReconciliationError,
    parse_business_date,
    reconcile_day,
    reconcile_range,
)
from payments.reconciliation.model import Kind
from payments.reconciliation.settlement_check import SettlementStatus
from payments.reconciliation.tables import exceptions, runs, settlement_checks
from payments.reconciliation.tables import metadata as recon_metadata
from payments.tables import fault_log
from tests.payments.reconciliation.world import FIRST_DAY, build_month

NOW = datetime(2026, 6, 5, tzinfo=UTC)


@pytest.fixture
def recon_db(db: Engine) -> Engine:
    recon_metadata.create_all(db)
    return db


def test_a_month_with_realistic_faults_is_found_with_full_recall_and_precision(
    recon_db: Engine, tmp_path: Path
) -> None:
    month = build_month(recon_db, days=30, settlement_dir=tmp_path)
    summary = reconcile_range(
        recon_db, month.days[0], month.days[-1], now=NOW, settlement_dir=tmp_path
    )
    found = {(item.kind, item.switch_ref) for day in summary.days for item in day.discrepancies}
    true_positives = found & month.expected
    recall = len(true_positives) / len(month.expected)
    precision = len(true_positives) / len(found)
    # The month must actually exercise the job: several kinds of fault, hundreds of payments.
    assert month.payments == 1200
    assert {kind for kind, _ref in month.expected} == {
        Kind.MISSING_AT_SWITCH,
        Kind.DUPLICATE,
        Kind.LATE,
    }
    assert (recall, precision) == (1.0, 1.0), (
        sorted(month.expected - found),
        sorted(found - month.expected),
    )
    assert summary.exit_code == EXIT_EXCEPTIONS
    assert all(
        check.status is SettlementStatus.OK for day in summary.days for check in day.settlement
    )


def test_rerunning_a_day_replaces_its_results(recon_db: Engine) -> None:
    build_month(recon_db, days=2)
    first = reconcile_day(recon_db, FIRST_DAY, now=NOW)
    again = reconcile_day(recon_db, FIRST_DAY, now=NOW)
    with recon_db.connect() as connection:
        stored = connection.execute(
            select(func.count())
            .select_from(exceptions)
            .where(exceptions.c.business_day == FIRST_DAY)
        ).scalar_one()
        run_rows = connection.execute(select(func.count()).select_from(runs)).scalar_one()
    assert stored == len(first.discrepancies) == len(again.discrepancies)
    assert run_rows == 1


def test_a_clean_day_exits_zero(recon_db: Engine) -> None:
    from payments.faults import FaultRates

    build_month(recon_db, days=1, rates=FaultRates({}))
    summary = reconcile_range(recon_db, FIRST_DAY, FIRST_DAY, now=NOW)
    assert summary.days[0].discrepancies == []
    assert summary.days[0].matched == 40
    assert summary.exit_code == EXIT_CLEAN


def test_a_corrupt_settlement_file_is_reported_and_other_banks_still_settle(
    recon_db: Engine, tmp_path: Path
) -> None:
    from payments.faults import FaultRates

    build_month(recon_db, days=1, rates=FaultRates({}), settlement_dir=tmp_path)
    broken = tmp_path / f"settlement_{FIRST_DAY.isoformat()}_970415.csv"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",receive,", ",recieve,").replace(",pay,", ",recieve,")
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = reconcile_day(recon_db, FIRST_DAY, now=NOW, settlement_dir=tmp_path)
    by_bank = {check.bank_bin: check for check in result.settlement}
    assert by_bank["970415"].status is SettlementStatus.CORRUPT_FILE
    assert "line 2" in by_bank["970415"].problem
    assert "recieve" in by_bank["970415"].problem
    assert by_bank["970405"].status is SettlementStatus.OK
    assert by_bank["970418"].status is SettlementStatus.OK
    assert [(item.kind, item.bank_bin) for item in result.discrepancies] == [
        (Kind.CORRUPT_SETTLEMENT_FILE, "970415")
    ]
    with recon_db.connect() as connection:
        stored = connection.execute(
            select(settlement_checks.c.bank_bin, settlement_checks.c.status)
        ).all()
    assert sorted(stored) == [("970405", "ok"), ("970415", "corrupt_file"), ("970418", "ok")]


def test_a_settlement_file_that_disagrees_in_amount_is_a_mismatch(
    recon_db: Engine, tmp_path: Path
) -> None:
    from payments.faults import FaultRates

    build_month(recon_db, days=1, rates=FaultRates({}), settlement_dir=tmp_path)
    path = tmp_path / f"settlement_{FIRST_DAY.isoformat()}_970405.csv"
    header, first, *rest = path.read_text(encoding="utf-8").splitlines()
    fields = first.split(",")
    fields[5] = str(int(fields[5]) + 1000)
    path.write_text("\n".join([header, ",".join(fields), *rest]) + "\n", encoding="utf-8")
    result = reconcile_day(recon_db, FIRST_DAY, now=NOW, settlement_dir=tmp_path)
    assert [(item.kind, item.bank_bin) for item in result.discrepancies] == [
        (Kind.SETTLEMENT_MISMATCH, "970405")
    ]


def test_a_day_without_records_is_a_clear_error_and_stores_nothing(recon_db: Engine) -> None:
    build_month(recon_db, days=1)
    with pytest.raises(NoDataForDay, match="no payment records on 2026-07-01"):
        reconcile_day(recon_db, date(2026, 7, 1), now=NOW)
    with recon_db.connect() as connection:
        assert connection.execute(select(func.count()).select_from(runs)).scalar_one() == 0


@pytest.mark.parametrize("text", ["01/05/2026", "2026-13-01", "yesterday", ""])
def test_unknown_date_formats_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ReconciliationError, match="expected YYYY-MM-DD"):
        parse_business_date(text)


def test_a_backwards_range_is_refused(recon_db: Engine) -> None:
    with pytest.raises(ReconciliationError, match="before the start"):
        reconcile_range(recon_db, date(2026, 5, 2), date(2026, 5, 1), now=NOW)


def test_the_fault_log_is_not_empty_under_realistic_rates(recon_db: Engine) -> None:
    month = build_month(recon_db, days=3)
    with recon_db.connect() as connection:
        assert connection.execute(select(func.count()).select_from(fault_log)).scalar_one() > 0
    assert month.faults > 0


def test_a_settlement_file_naming_another_transfer_is_a_mismatch_even_if_nets_agree(
    recon_db: Engine, tmp_path: Path
) -> None:
    from payments.faults import FaultRates

    build_month(recon_db, days=1, rates=FaultRates({}), settlement_dir=tmp_path)
    path = tmp_path / f"settlement_{FIRST_DAY.isoformat()}_970405.csv"
    header, first, *rest = path.read_text(encoding="utf-8").splitlines()
    fields = first.split(",")
    fields[2] = "970405:0000000000:not-a-transfer"  # same amount and direction: net unchanged
    path.write_text("\n".join([header, ",".join(fields), *rest]) + "\n", encoding="utf-8")
    result = reconcile_day(recon_db, FIRST_DAY, now=NOW, settlement_dir=tmp_path)
    by_bank = {check.bank_bin: check for check in result.settlement}
    assert by_bank["970405"].status is SettlementStatus.MISMATCH
    assert by_bank["970405"].file_net_dong == by_bank["970405"].switch_net_dong
    assert (
        "lists 1 transfer(s) the switch did not complete and misses 1" in by_bank["970405"].problem
    )


def test_a_day_outside_the_supported_years_is_refused_for_one_day_too(recon_db: Engine) -> None:
    with pytest.raises(ReconciliationError, match=r"must be 2000-01-01\.\.2099-12-31"):
        reconcile_day(recon_db, date(235, 8, 30), now=NOW)
