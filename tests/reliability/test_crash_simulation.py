"""SIGKILL ``marketpay simulate`` at seeded random moments, on SQLite and PostgreSQL.

After each kill, on the database the dead process left: ``marketpay ledger verify`` passes;
every payment's linked ledger chain (``buyer -> settlement(A) [-> settlement(B)] -> vendor``) is
stored whole or not at all; every whole chain has exactly one vendor credit and every credit its
chain; and a second ``marketpay simulate`` on that database refuses (exit 2) and writes nothing,
so a day can never be paid twice. The simulation has no resume: a killed run stays ``running``
and the day is rerun on a fresh database (docs/RELIABILITY.md, open finding F2).
"""

from __future__ import annotations

import random
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text

from ledger.tables import TransferRow
from payments.routing import leg_ids
from payments.simulation.tables import runs
from payments.tables import credits
from tests.reliability.support import (
    CLI,
    cli_env,
    ledger_verify,
    record,
    run_cli,
    seed_for,
    size,
)

SIM_ARGS = ("simulate", "--days", "40", "--scale", "0.2", "--json")
KILL_AFTER_S_MIN = 0.5
KILL_AFTER_S_MAX = 4.0  # a whole run takes about 5 s on an idle machine, longer under load
CHAIN_LEGS = (2, 3)
FUNDING_PREFIX = "deposit:"
ATTEMPTS_PER_KILL_MAX = 3


def _reset(engine: Engine, tmp_path: Path, attempt: int) -> str:
    """A fresh empty database for one attempt; returns its URL."""
    if engine.dialect.name == "sqlite":
        return f"sqlite:///{tmp_path / f'sim-{attempt}.db'}"
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    return engine.url.render_as_string(hide_password=False)


def _chains(engine: Engine) -> tuple[int, int]:
    """Check every payment chain is whole and credited once; return (chains, legs)."""
    by_reference: dict[str, set[int]] = defaultdict(set)
    with engine.connect() as connection:
        rows = connection.execute(
            select(TransferRow.reference, TransferRow.id).where(
                ~TransferRow.reference.startswith(FUNDING_PREFIX)
            )
        )
        for reference, transfer_id in rows:
            by_reference[reference].add(int(transfer_id))
        credited = {int(i) for i in connection.scalars(select(credits.c.ledger_transfer_id))}
    last_legs: set[int] = set()
    for reference, ids in by_reference.items():
        assert len(ids) in CHAIN_LEGS, f"chain {reference} has {len(ids)} legs stored"
        expected = leg_ids(reference, len(ids))
        assert ids == set(expected), f"chain {reference}: stored legs are not one whole chain"
        last_legs.add(expected[-1])
    assert credited == last_legs, "a vendor credit without its chain, or a chain without credit"
    return len(by_reference), sum(len(ids) for ids in by_reference.values())


def _kill_once(env: dict[str, str], rng: random.Random, log: Path) -> bool:
    """Start a simulation, SIGKILL it after a random delay; True if it was still running."""
    with log.open("ab") as out:
        process = subprocess.Popen([*CLI, *SIM_ARGS], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + rng.uniform(KILL_AFTER_S_MIN, KILL_AFTER_S_MAX)
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    killed = process.poll() is None
    if killed:
        process.kill()
    process.wait(timeout=30)
    return killed


def _run_status(engine_url: str) -> list[str]:
    engine = create_engine(engine_url)
    try:
        with engine.connect() as connection:
            return [str(s) for s in connection.scalars(select(runs.c.status))]
    finally:
        engine.dispose()


def test_sigkill_during_simulation(empty_db: Engine, tmp_path: Path) -> None:
    backend = empty_db.dialect.name
    seed = seed_for("crash-sim", 4_242)
    rng = random.Random(f"{seed}:{backend}")
    target = size(1, 20)
    attempts = kills = chains_checked = legs_checked = 0
    # A run that finishes before its kill time is checked too, but does not count as a kill.
    while kills < target and attempts < ATTEMPTS_PER_KILL_MAX * target:
        attempt = attempts
        attempts += 1
        url = _reset(empty_db, tmp_path, attempt)
        env = cli_env(tmp_path, url)
        assert run_cli(env, "db", "upgrade").returncode == 0
        kills += _kill_once(env, rng, tmp_path / "simulate.log")
        verify = ledger_verify(env)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        engine = create_engine(url)
        try:
            chains, legs = _chains(engine)
            with engine.connect() as connection:
                before = connection.scalar(select(func.count()).select_from(TransferRow))
            started = bool(_run_status(url))
            again = run_cli(env, *SIM_ARGS)
            assert again.returncode == (2 if started else 0), again.stderr
            if again.returncode == 2:
                assert "already holds" in again.stderr
                with engine.connect() as connection:
                    after = connection.scalar(select(func.count()).select_from(TransferRow))
                assert after == before
            else:
                chains, legs = _chains(engine)
        finally:
            engine.dispose()
        chains_checked += chains
        legs_checked += legs
    assert kills == target
    record(
        "crash_simulation",
        {
            "backend": backend,
            "seed": seed,
            "attempts": attempts,
            "kills": kills,
            "payment_chains_checked": chains_checked,
            "ledger_legs_checked": legs_checked,
            "half_applied": 0,
            "duplicated": 0,
        },
    )
