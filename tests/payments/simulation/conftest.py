"""Small scenarios for the simulation tests: the bundled one, cut down and edited in place."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from merchant_app.schema import all_metadata
from payments.simulation.calibration import with_values
from payments.simulation.scenario import Scenario, load_scenario

BUNDLED = "thai-nguyen"
# Two markets of different kinds: Đại Từ central (daily, big campaign at the start) and
# La Bằng (lunar-day market, pilot campaign later).
SMALL_MARKETS = ["dai-tu", "la-bang"]


@pytest.fixture(scope="session")
def bundled() -> Scenario:
    return load_scenario(BUNDLED)


@pytest.fixture
def scenario_text() -> str:
    return (Path(__file__).parents[3] / "payments/simulation/scenarios/thai-nguyen.toml").read_text(
        encoding="utf-8"
    )


@pytest.fixture
def write_scenario(tmp_path: Path, scenario_text: str) -> Callable[[str, str], Path]:
    """Write the bundled scenario with ``old`` replaced by ``new`` (exactly once)."""

    def write(old: str, new: str) -> Path:
        assert scenario_text.count(old) >= 1, old
        path = tmp_path / "scenario.toml"
        path.write_text(scenario_text.replace(old, new, 1), encoding="utf-8")
        return path

    return write


def busy(scenario: Scenario) -> Scenario:
    """The bundled scenario with the Đại Từ campaign strong and early faults frequent."""
    return with_values(
        scenario,
        {
            "campaigns.0.p_boost_per_day": 0.3,
            "faults.timeout_before_commit": 0.05,
            "faults.timeout_after_commit": 0.05,
            "faults.duplicate_notification": 0.05,
            "faults.delayed_notification": 0.05,
        },
    )


def fingerprint(engine: Engine) -> str:
    """SHA-256 of every row of every table, tables by name, rows in primary-key order."""
    digest = hashlib.sha256()
    tables = sorted(
        (table for metadata in all_metadata() for table in metadata.sorted_tables),
        key=lambda table: table.name,
    )
    with engine.connect() as connection:
        for table in tables:
            digest.update(table.name.encode())
            query = select(table).order_by(*table.primary_key.columns)
            for row in connection.execute(query):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
