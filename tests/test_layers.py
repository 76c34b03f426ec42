"""The import rule of DESIGN.md: merchant_app -> payments -> (ledger | qr); nothing imports up.

Checked by reading every module's imports (import-linter checks the same in ``make lint``; this
test keeps the rule inside ``pytest`` too, with a message that names the offending line).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each package may import from the project (besides itself).
ALLOWED = {
    "qr": set(),
    "ledger": set(),
    "payments": {"qr", "ledger"},
    "merchant_app": {"qr", "ledger", "payments"},
}
FORBIDDEN_EXTERNAL = {
    "qr": {"sqlalchemy", "fastapi", "starlette"},
    "ledger": {"fastapi", "starlette"},
    "payments": {"fastapi", "starlette"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations(package: str) -> list[str]:
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for lineno, module in _imports(path):
            top = module.split(".")[0]
            if top in ALLOWED and top != package and top not in ALLOWED[package]:
                problems.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
            if top in FORBIDDEN_EXTERNAL.get(package, set()):
                problems.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    return problems


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_packages_below_it(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    assert _violations(package) == []


def test_rule_detects_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import merchant_app.app\nfrom payments import x\n")
    assert [module for _, module in _imports(bad)] == ["merchant_app.app", "payments"]
