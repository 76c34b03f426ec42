"""Same scenario and seed: byte-identical ledger and report (SQLite); another seed differs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from ledger.tables import transfers
from merchant_app.database import make_engine
from merchant_app.schema import create_all
from payments.simulation.engine import Simulation, report_json
from payments.simulation.scenario import Scenario
from payments.simulation.tables import cash_sales
from payments.tables import credits, events
from tests.payments.simulation.conftest import SMALL_MARKETS, busy


def _fingerprint(tmp: Path, scenario: Scenario, seed: int) -> tuple[str, str]:
    engine = make_engine(f"sqlite:///{tmp / f'sim-{seed}-{len(list(tmp.iterdir()))}.db'}")
    create_all(engine)
    report = Simulation(engine, scenario, seed=seed, days=6, scale=0.2, only=SMALL_MARKETS).run()
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in (transfers, credits, events, cash_sales):
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest(), hashlib.sha256(report_json(report).encode()).hexdigest()


def test_same_seed_gives_identical_ledger_and_report(tmp_path: Path, bundled: Scenario) -> None:
    scenario = busy(bundled)
    first = _fingerprint(tmp_path, scenario, 11)
    second = _fingerprint(tmp_path, scenario, 11)
    assert first == second
    other = _fingerprint(tmp_path, scenario, 12)
    assert other[0] != first[0]
    assert other[1] != first[1]
