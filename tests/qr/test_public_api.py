"""``qr.__all__`` is the package's API: every name resolves, and the core names others use exist."""

from __future__ import annotations

import importlib
import inspect

import pytest

import qr


def test_every_public_name_resolves() -> None:
    for name in qr.__all__:
        assert getattr(qr, name) is not None, name


def test_scan_is_the_function_even_after_importing_the_submodule() -> None:
    scan_module = importlib.import_module("qr.scan")
    assert callable(qr.scan)
    assert not inspect.ismodule(qr.scan)
    assert scan_module.SCAN_BUDGET_MS == qr.SCAN_BUDGET_MS


def test_error_hierarchy() -> None:
    for error in (qr.PayloadError, qr.UnknownBank, qr.RenderError, qr.ScanError):
        assert issubclass(error, qr.QRError)
        assert error("x", tag="54").tag == "54"


def test_bank_directory_lookups() -> None:
    assert qr.bank_by_bin("970405").short_name == "Agribank"
    assert len(qr.banks()) == 64
    assert [b.bin for b in qr.find_bank("vietinbank")] == ["970415"]
    assert "970436" in [b.bin for b in qr.find_bank("Ngoai Thuong")]
    assert qr.find_bank("") == []


def test_unknown_bin_is_a_clear_error() -> None:
    with pytest.raises(qr.UnknownBank, match='BIN "123456": not in the bank directory'):
        qr.bank_by_bin("123456")
