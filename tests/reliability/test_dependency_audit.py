"""``scripts/reliability/audit_deps.py``: the verdicts, on canned PyPI project JSON (no network).

Regression for F4: pip-audit reported "No known vulnerabilities found" after skipping every
package. The script must never call a package clean unless PyPI's data describes the installed
version, and must fail when nothing could be audited.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts/reliability/audit_deps.py"


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_deps"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _project(latest: str, vulnerabilities: list[dict[str, Any]] | None) -> dict[str, Any]:
    project: dict[str, Any] = {"info": {"name": "demo", "version": latest}}
    if vulnerabilities is not None:
        project["vulnerabilities"] = vulnerabilities
    return project


ADVISORY = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "aliases": ["CVE-2026-0001"],
    "fixed_in": ["2.0.1"],
    "withdrawn": None,
}


def test_latest_without_vulnerabilities_is_clean(audit: ModuleType) -> None:
    finding = audit.classify("demo", "2.0.0", _project("2.0.0", []))
    assert finding.verdict is audit.Verdict.CLEAN


def test_latest_with_a_vulnerability_is_vulnerable_and_names_it(audit: ModuleType) -> None:
    finding = audit.classify("demo", "2.0.0", _project("2.0.0", [ADVISORY]))
    assert finding.verdict is audit.Verdict.VULNERABLE
    assert finding.vulnerability_ids == ("GHSA-aaaa-bbbb-cccc",)
    assert finding.fixed_in == ("2.0.1",)
    assert audit.exit_status([finding]) == 1


def test_a_withdrawn_advisory_does_not_count(audit: ModuleType) -> None:
    withdrawn = {**ADVISORY, "withdrawn": "2026-01-02T00:00:00Z"}
    finding = audit.classify("demo", "2.0.0", _project("2.0.0", [withdrawn]))
    assert finding.verdict is audit.Verdict.CLEAN


def test_an_older_version_is_not_auditable_even_when_latest_is_clean(audit: ModuleType) -> None:
    """PyPI's list describes the latest release; it says nothing about 1.9."""
    finding = audit.classify("demo", "1.9", _project("2.0.0", []))
    assert finding.verdict is audit.Verdict.OLDER
    assert finding.latest == "2.0.0"


def test_equal_versions_in_other_spellings_are_the_latest(audit: ModuleType) -> None:
    assert audit.classify("demo", "2.0", _project("2.0.0", [])).verdict is audit.Verdict.CLEAN


@pytest.mark.parametrize(
    ("installed", "project", "expected"),
    [
        ("2.1.0rc1", _project("2.0.0", []), "NEWER"),
        ("2.0.0", None, "UNREACHABLE"),
        ("2.0.0", _project("2.0.0", None), "UNREACHABLE"),  # no vulnerabilities field: no data
        ("not a version", _project("2.0.0", []), "UNREACHABLE"),
    ],
)
def test_what_cannot_be_audited_is_never_clean(
    audit: ModuleType, installed: str, project: dict[str, Any] | None, expected: str
) -> None:
    finding = audit.classify("demo", installed, project, "HTTP Error 404")
    assert finding.verdict is audit.Verdict[expected]


def test_exit_status_fails_when_nothing_could_be_audited(audit: ModuleType) -> None:
    skipped = [
        audit.classify("a", "1.0", None, "HTTP Error 404"),
        audit.classify("b", "1.0", _project("2.0", [])),
    ]
    assert audit.exit_status(skipped) == 2
    clean = audit.classify("c", "1.0", _project("1.0", []))
    assert audit.exit_status([*skipped, clean]) == 0


def test_report_counts_every_verdict(audit: ModuleType) -> None:
    findings = [
        audit.classify("a", "1.0", _project("1.0", [])),
        audit.classify("b", "1.0", _project("1.0", [ADVISORY])),
        audit.classify("c", "1.0", _project("2.0", [])),
    ]
    text = audit.report(findings)
    assert "GHSA-aaaa-bbbb-cccc; fixed in 2.0.1" in text
    assert text.splitlines()[-1] == (
        "3 distributions: 1 clean, 1 vulnerable, 1 not auditable: older than latest"
    )
