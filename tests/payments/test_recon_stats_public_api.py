"""The public surface of reconciliation and statistics is each package's ``__all__``."""

from __future__ import annotations

import pytest

import payments.reconciliation
import payments.stats


@pytest.mark.parametrize("package", [payments.reconciliation, payments.stats])
def test_all_names_exist_and_are_public(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert all(hasattr(package, name) for name in names)
    assert not [name for name in names if name.startswith("_")]


def test_the_entry_points_others_use_are_public() -> None:
    assert {"reconcile_day", "reconcile_range", "match_day", "Kind", "Discrepancy"} <= set(
        payments.reconciliation.__all__
    )
    assert {"refresh_all", "read_adoption", "market_forecasts", "fit_bass"} <= set(
        payments.stats.__all__
    )
