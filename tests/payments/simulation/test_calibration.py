"""The shipped scenario reproduces every published pilot figure within 10%."""

from __future__ import annotations

import pytest

from payments.simulation.calibration import (
    Indicator,
    Parameter,
    Target,
    Targets,
    evaluate,
    fit,
    load_targets,
    nrmse,
    with_values,
)
from payments.simulation.scenario import Scenario, ScenarioError

MAX_RELATIVE_ERROR = 0.10


def test_each_published_figure_is_within_ten_percent(bundled: Scenario) -> None:
    targets = load_targets()
    rows = evaluate(bundled, targets)
    points = [row for row in rows if row.kind == "point"]
    assert len(points) == len(targets.target) == 7
    for row in points:
        assert abs(row.error) <= MAX_RELATIVE_ERROR, row
    assert all(row.source for row in rows)


def test_targets_cite_their_sources() -> None:
    targets = load_targets()
    assert {t.source for t in targets.target} == {"VNN-2096581", "ICT-2026451", "ISO-183468"}


def test_a_worse_parameter_is_seen_as_worse(bundled: Scenario) -> None:
    targets = load_targets()
    weak = with_values(bundled, {"campaigns.0.p_boost_per_day": 0.005})
    share = next(r for r in evaluate(weak, targets) if r.key == "dai-tu-qr-vendor-share")
    assert share.error < -MAX_RELATIVE_ERROR


def test_nrmse_is_rmse_over_the_observed_mean() -> None:
    assert nrmse([1.0, 3.0], [1.0, 3.0]) == 0.0
    assert nrmse([2.0, 2.0], [3.0, 1.0]) == pytest.approx(0.5)


def test_unknown_parameter_path_is_refused(bundled: Scenario) -> None:
    with pytest.raises(ScenarioError, match=r"campaigns\.0\.boost"):
        with_values(bundled, {"campaigns.0.boost": 0.1})


def test_fit_moves_a_free_parameter_onto_its_target(bundled: Scenario) -> None:
    targets = Targets(
        horizon_days=36,
        target=[
            Target(
                key="half-by-day-35",
                indicator=Indicator.VENDORS_WITH_QR_SHARE,
                markets=["dai-tu"],
                day=35,
                value=0.5,
                source="test",
            )
        ],
        parameter=[
            Parameter(name="boost", paths=["campaigns.0.p_boost_per_day"], low=0.001, high=0.2)
        ],
    )
    assert abs(evaluate(bundled, targets)[0].error) > 0.3  # the shipped 80% is far from 50%
    result = fit(bundled, targets)
    (row,) = result.rows
    assert abs(row.error) < 0.03
    assert 0.001 <= result.values["boost"] < 0.0475  # fewer sign-ups a day than shipped
    assert result.scenario.campaigns[0].p_boost_per_day == result.values["boost"]
