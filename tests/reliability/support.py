"""Helpers for the reliability tests: the short/long switch, a killable server, the CLI, checks.

``MARKETPAY_RELIABILITY=long`` (``make reliability``) runs the long version of every test; the
default is the short one that ``make test`` runs. Sizes are chosen with :func:`size`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from ledger.tables import TransferRow
from tests.live_server import free_port

LONG = os.environ.get("MARKETPAY_RELIABILITY", "") == "long"
OPERATOR_TOKEN = "reliability-operator-token-0123456789abcdef"
SECRET_KEY = "reliability-secret-key-0123456789abcdef-0123456789"
STARTUP_TIMEOUT_S = 60
CLI_TIMEOUT_S = 300
CLI = (sys.executable, "-m", "merchant_app")


def size(short: int, long: int) -> int:
    """The short figure under ``make test``, the long one under ``make reliability``."""
    return long if LONG else short


def cli_env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPAY_")}
    env["MARKETPAY_DATA_DIR"] = str(data_dir)
    env["MARKETPAY_DATABASE_URL"] = database_url
    env["MARKETPAY_OPERATOR_TOKEN"] = OPERATOR_TOKEN
    env["MARKETPAY_SECRET_KEY"] = SECRET_KEY
    return env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
    )


def ledger_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``marketpay ledger verify --json`` against the database in ``env``."""
    return run_cli(env, "ledger", "verify", "--json")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback in the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_server(env: dict[str, str], log_path: Path) -> Server:
    """Start ``marketpay serve`` on a free loopback port; wait until /healthz answers."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log_path.read_text()}")
        try:
            httpx.get(f"{server.base_url}/healthz", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("server did not start in time")


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    server = start_server(env, log_path)
    try:
        yield server
    finally:
        server.stop()


def operator_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def transfer_counts(engine: Engine, ids: list[int]) -> dict[int, int]:
    """How many stored ledger transfers carry each id's reference ``t<id>`` (0, 1, or a bug)."""
    references = [f"t{i}" for i in ids]
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    with engine.connect() as connection:
        for start in range(0, len(references), 500):
            chunk = references[start : start + 500]
            rows = connection.execute(
                select(TransferRow.reference, func.count())
                .where(TransferRow.reference.in_(chunk))
                .group_by(TransferRow.reference)
            )
            for reference, count in rows:
                counts[int(reference[1:])] = int(count)
    return counts


def seed_for(name: str, default: int) -> int:
    """The seed of a randomized test: ``MARKETPAY_RELIABILITY_SEED`` or the test's default."""
    value = os.environ.get("MARKETPAY_RELIABILITY_SEED")
    return int(value) if value else default


def record(name: str, figures: dict[str, object]) -> None:
    """Append a test's measured figures to ``$MARKETPAY_RELIABILITY_OUT/<name>.jsonl`` if set."""
    out = os.environ.get("MARKETPAY_RELIABILITY_OUT")
    sys.stderr.write(f"reliability {name}: {json.dumps(figures, sort_keys=True)}\n")
    if not out:
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    with (Path(out) / f"{name}.jsonl").open("a") as handle:
        handle.write(json.dumps(figures, sort_keys=True) + "\n")
