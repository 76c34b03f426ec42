"""Audit the installed distributions against PyPI's vulnerability data, honestly.

pip-audit asks PyPI for ``/pypi/<name>/<version>/json``, which this machine cannot reach (404
through the local mirror), and OSV is not reachable at all, so pip-audit skips every package and
still prints "No known vulnerabilities found". What IS reachable is ``/pypi/<name>/json``: the
project's latest release with its ``vulnerabilities`` list (PyPI fills it from the PyPA advisory
database for that release). So a package can be audited here only when the installed version is
the latest one; every other package is reported as not auditable, with the reason, never as clean.

    .venv/bin/python scripts/reliability/audit_deps.py [--json out.json]

Exit status: 0 when nothing vulnerable was found, 1 when an installed version has a known
vulnerability, 2 when no package at all could be audited (the vulnerability data unreachable).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from enum import StrEnum
from importlib import metadata
from typing import Any

from packaging.version import InvalidVersion, Version

PYPI_PROJECT_URL = "https://pypi.org/pypi/{name}/json"
FETCH_TIMEOUT_S = 15
FETCH_WORKERS = 8
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # the largest project JSONs (many releases) are ~10 MB


class Verdict(StrEnum):
    CLEAN = "clean"  # installed == latest, and PyPI lists no vulnerability for it
    VULNERABLE = "vulnerable"  # installed == latest, and PyPI lists a vulnerability for it
    OLDER = "not auditable: older than latest"  # PyPI's list describes the latest release only
    NEWER = "not auditable: not the latest release"  # a pre-release or a version PyPI lacks
    UNREACHABLE = "not auditable: no data"  # the project JSON could not be fetched or read
    LOCAL = "local"  # installed from a directory (this project): not a PyPI package


@dataclass(frozen=True)
class Finding:
    name: str
    installed: str
    latest: str | None
    verdict: Verdict
    vulnerability_ids: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()
    note: str = ""


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def classify(name: str, installed: str, project: dict[str, Any] | None, error: str = "") -> Finding:
    """The verdict for one installed distribution, given PyPI's project JSON (or None)."""
    if project is None:
        return Finding(name, installed, None, Verdict.UNREACHABLE, note=error)
    latest = str(project.get("info", {}).get("version", ""))
    try:
        same = Version(installed) == Version(latest)
        older = Version(installed) < Version(latest)
    except InvalidVersion:
        return Finding(name, installed, latest, Verdict.UNREACHABLE, note="unparsable version")
    if not same:
        verdict = Verdict.OLDER if older else Verdict.NEWER
        return Finding(name, installed, latest, verdict)
    if not isinstance(project.get("vulnerabilities"), list):
        note = "the project JSON has no vulnerabilities list"
        return Finding(name, installed, latest, Verdict.UNREACHABLE, note=note)
    live = [v for v in project["vulnerabilities"] if not v.get("withdrawn")]
    if not live:
        return Finding(name, installed, latest, Verdict.CLEAN)
    ids = tuple(str(v.get("id", "?")) for v in live)
    fixed = tuple(sorted({str(f) for v in live for f in v.get("fixed_in") or []}))
    return Finding(name, installed, latest, Verdict.VULNERABLE, ids, fixed)


def exit_status(findings: list[Finding]) -> int:
    verdicts = Counter(f.verdict for f in findings)
    if verdicts[Verdict.VULNERABLE]:
        return 1
    if not verdicts[Verdict.CLEAN]:
        return 2
    return 0


def _is_local(dist: metadata.Distribution) -> bool:
    direct_url = dist.read_text("direct_url.json")
    return bool(direct_url) and "dir_info" in json.loads(direct_url or "{}")


def installed_distributions() -> list[tuple[str, str, bool]]:
    """(name, version, installed from a local directory) of this interpreter's environment."""
    seen: dict[str, tuple[str, str, bool]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            seen.setdefault(canonical_name(name), (name, dist.version, _is_local(dist)))
    return sorted(seen.values(), key=lambda item: canonical_name(item[0]))


def fetch_project(name: str) -> tuple[dict[str, Any] | None, str]:
    url = PYPI_PROJECT_URL.format(name=canonical_name(name))
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return None, f"{url}: {exc}"
    if len(body) > MAX_RESPONSE_BYTES:
        return None, f"{url}: response over {MAX_RESPONSE_BYTES} bytes"
    try:
        return json.loads(body), ""
    except ValueError as exc:
        return None, f"{url}: not JSON ({exc})"


def audit() -> list[Finding]:
    dists = installed_distributions()
    remote = [(name, version) for name, version, local in dists if not local]
    with ThreadPoolExecutor(FETCH_WORKERS) as pool:
        projects = list(pool.map(lambda item: fetch_project(item[0]), remote))
    findings = [Finding(n, v, None, Verdict.LOCAL) for n, v, local in dists if local]
    for (name, version), (project, error) in zip(remote, projects, strict=True):
        findings.append(classify(name, version, project, error))
    return sorted(findings, key=lambda f: canonical_name(f.name))


def report(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        latest = f" (latest {f.latest})" if f.latest and f.latest != f.installed else ""
        extra = f"  {', '.join(f.vulnerability_ids)}; fixed in {', '.join(f.fixed_in) or '?'}"
        detail = extra if f.vulnerability_ids else (f"  {f.note}" if f.note else "")
        lines.append(f"{f.verdict.value:40} {f.name} {f.installed}{latest}{detail}")
    counts = Counter(f.verdict for f in findings)
    lines.append(
        f"{len(findings)} distributions: "
        + ", ".join(f"{counts[v]} {v.value}" for v in Verdict if counts[v])
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the findings to this file")
    args = parser.parse_args(argv)
    findings = audit()
    print(report(findings))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([asdict(f) for f in findings], out, indent=1)
    return exit_status(findings)


if __name__ == "__main__":
    sys.exit(main())
