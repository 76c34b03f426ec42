"""payments.simulation: market days of a scenario, in simulated time, through the real flows.

Scenario files (``scenario``), market days (``calendar``), Bass adoption (``diffusion``),
buyers and purchases (``demand``), the pure model (``world``), the engine writing through the
directory, switch and ledger (``engine``, ``setup``, ``payflow``, ``camera``), and calibration
against the published pilot figures (``calibration``). See docs/SIMULATION.md.

Names are imported lazily (PEP 562) so that ``import payments.simulation.tables`` (the schema)
stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.simulation.calibration import Row, Targets, evaluate, fit, load_targets
    from payments.simulation.engine import Mode, Progress, Simulation, report_json
    from payments.simulation.scenario import Scenario, ScenarioError, bundled_names, load_scenario
    from payments.simulation.world import WorldModel

_LAZY = {
    "Mode": "payments.simulation.engine",
    "Progress": "payments.simulation.engine",
    "Row": "payments.simulation.calibration",
    "Scenario": "payments.simulation.scenario",
    "ScenarioError": "payments.simulation.scenario",
    "Simulation": "payments.simulation.engine",
    "Targets": "payments.simulation.calibration",
    "WorldModel": "payments.simulation.world",
    "bundled_names": "payments.simulation.scenario",
    "evaluate": "payments.simulation.calibration",
    "fit": "payments.simulation.calibration",
    "load_scenario": "payments.simulation.scenario",
    "load_targets": "payments.simulation.calibration",
    "report_json": "payments.simulation.engine",
}

__all__ = [
    "Mode",
    "Progress",
    "Row",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Targets",
    "WorldModel",
    "bundled_names",
    "evaluate",
    "fit",
    "load_scenario",
    "load_targets",
    "report_json",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'payments.simulation' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
