"""Hypothesis fuzzing of the two text parsers that take outside input: the VietQR payload parser
and the simulation's scenario loader. Any input either parses or raises the package's own typed
error naming the problem; nothing else escapes (no KeyError, IndexError, ValueError, ...).
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from payments.simulation.scenario import Scenario, ScenarioError, explain, read_toml
from qr import QRError, VietQR, build, parse, parse_lenient
from tests.reliability.support import record, size

EXAMPLES = size(300, 5_000)
VALID = build(
    VietQR(bin="970436", account="0011223344", amount=25_000, purpose="rau", merchant_city="DAI TU")
)
SCENARIO_PATH = Path(__file__).parents[2] / "payments/simulation/scenarios/thai-nguyen.toml"
SCENARIO = tomllib.loads(SCENARIO_PATH.read_text())
CONFIG = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
counts = {"qr_texts": 0, "qr_mutations": 0, "scenario_tables": 0, "scenario_files": 0}


@CONFIG
@given(st.text(max_size=600))
def test_any_text_parses_or_raises_a_qr_error(text: str) -> None:
    counts["qr_texts"] += 1
    try:
        code = parse(text)
    except QRError as exc:
        message = str(exc)
    else:
        message = "parsed"
        assert parse(build(code)) == code
    assert message
    report = parse_lenient(text)  # lenient never raises; it lists the problems
    assert report.problems or report.code is not None


@st.composite
def mutated_payloads(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        piece = draw(st.text(alphabet="0123456789ABCDEFxyz .:\u00e0\x00", min_size=1, max_size=3))
        if action == "flip" and at < len(text):
            text = text[:at] + piece[0] + text[at + 1 :]
        elif action == "cut":
            text = text[:at] + text[at + len(piece) :]
        elif action == "insert":
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at]
    return text


@CONFIG
@given(mutated_payloads())
def test_mutated_payloads_parse_or_raise_a_qr_error(text: str) -> None:
    counts["qr_mutations"] += 1
    try:
        code = parse(text)
    except QRError as exc:
        message = str(exc)
    else:
        message = "parsed"
        assert build(code) == text or parse(build(code)) == code
    assert message
    parse_lenient(text)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(-5, 40), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
)


def _paths(table: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(table, dict):
        for key, value in table.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(table, list):
        for index, value in enumerate(table):
            found.extend(_paths(value, (*prefix, index)))
    return found


PATHS = _paths(SCENARIO)


@CONFIG
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.booleans(), VALUES), min_size=1, max_size=4))
def test_mutated_scenarios_load_or_name_the_problem(
    edits: list[tuple[tuple[Any, ...], bool, Any]],
) -> None:
    counts["scenario_tables"] += 1
    table = copy.deepcopy(SCENARIO)
    for path, delete, value in edits:
        parent: Any = table
        try:
            for part in path[:-1]:
                parent = parent[part]
            if delete and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    try:
        Scenario.model_validate(table)
    except ValidationError as exc:
        message = explain("fuzz.toml", exc)
        assert message.startswith("scenario file fuzz.toml: ")


@settings(max_examples=size(50, 500), deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_scenario_file_loads_or_raises_a_scenario_error(
    tmp_path_factory: Any, content: bytes
) -> None:
    counts["scenario_files"] += 1
    path = tmp_path_factory.mktemp("scenario") / "fuzz.toml"
    path.write_bytes(content)
    try:
        read_toml(path)
    except ScenarioError as exc:
        message = str(exc)
    else:
        message = str(path)
    assert str(path) in message


def test_record_fuzz_counts() -> None:
    record("fuzz", dict(counts))
