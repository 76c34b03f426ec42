"""Run the real ``marketpay serve`` in a child process on a free loopback port (test helper)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(data_dir: Path, database_url: str | None = None) -> Iterator[str]:
    """Upgrade the database, start ``marketpay serve``, yield its base URL, stop it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPAY_")}
    env["MARKETPAY_DATA_DIR"] = str(data_dir)
    if database_url:
        env["MARKETPAY_DATABASE_URL"] = database_url
    cli = [sys.executable, "-m", "merchant_app"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(f"{base_url}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start in time")
