"""Scenario files: the bundled one is valid; every bad file gets one message naming the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from merchant_app.cli import main
from payments.errors import PaymentError
from payments.simulation.scenario import Scenario, ScenarioError, bundled_names, load_scenario


def test_bundled_scenario_covers_the_mountain_districts_and_the_pilot(bundled: Scenario) -> None:
    names = {district.name for district in bundled.districts.values()}
    assert {"Định Hóa", "Võ Nhai", "Phú Lương", "Đại Từ", "Đồng Hỷ"} <= names
    pilot = [key for key, market in bundled.markets() if market.pilot]
    assert len(pilot) == 11  # the 11 markets named by the press besides Đại Từ central
    dai_tu = bundled.market("dai-tu")
    assert dai_tu.real
    assert sum(dai_tu.vendors.values()) == 375  # 300 vendors = 80% (published)
    assert "thai-nguyen" in bundled_names()


def test_scenario_error_is_a_payment_error() -> None:
    assert issubclass(ScenarioError, PaymentError)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '[districts.dai-tu]\nname = "Đại Từ"',
            '[districts.dai-tu]\nname = "Đại Từ"\npopulation = 3',
            "districts.dai-tu.population: unknown key",
        ),
        (
            "arrivals_per_day = 306.6618",
            "arrivals_per_day = -5.0",
            "districts.dai-tu.communes.hung-son.markets.dai-tu.arrivals_per_day: "
            "Input should be greater than or equal to 0",
        ),
        (
            "cash_preference = 0.2577",
            "cash_preference = 1.5",
            "markets.dai-tu.cash_preference: Input should be less than or equal to 1",
        ),
        (
            'market = "dai-tu"\nstart = 2022-04-25',
            'market = "dai-tuu"\nstart = 2022-04-25',
            "campaigns[0].market 'dai-tuu' is unknown",
        ),
        ('"970405" = 0.30', '"970405" = 0.50', "banks shares must sum to 1"),
        ("days = 60", "days = sixty", "not valid TOML"),
    ],
)
def test_bad_scenario_names_the_problem(
    write_scenario: Callable[[str, str], Path], old: str, new: str, expected: str
) -> None:
    path = write_scenario(old, new)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_lists_the_bundled_scenarios(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"not found \(bundled scenarios: thai-nguyen\)"):
        load_scenario(tmp_path / "nope.toml")


def test_cli_prints_one_line_and_exits_2(
    write_scenario: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario("connectivity = 0.95", "connectivity = 2")
    code = main(["simulate", "--scenario", str(path), "--days", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("marketpay: error: scenario file")
    assert "markets.dai-tu.connectivity" in err


def test_cli_missing_scenario_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--scenario", str(tmp_path / "x.toml")]) == 2
    assert "not found" in capsys.readouterr().err
