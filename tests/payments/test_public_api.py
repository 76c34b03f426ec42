"""The package's API is its ``__all__`` (httpx): every name resolves, lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

import payments


def test_every_public_name_resolves_to_its_module() -> None:
    assert sorted(payments.__all__) == sorted(payments._LAZY)
    for name in payments.__all__:
        value = getattr(payments, name)
        assert value is getattr(importlib.import_module(payments._LAZY[name]), name)


def test_importing_the_tables_does_not_load_the_switch_or_the_scanner() -> None:
    code = (
        "import sys, payments.tables; "
        "print(any(m in sys.modules for m in ('payments.switch', 'pyzbar', 'qr.scan')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
