"""PostgreSQL: the server connection of a ledger batch is terminated mid-batch.

A second connection runs ``pg_terminate_backend`` on every other backend of the test database at
a seeded random moment while ``Ledger.create_transfers`` writes a large batch of linked pairs.
The batch is then either wholly stored or wholly absent (never a part), the ledger verifies, and
the client's retry with the same ids leaves every transfer stored exactly once.
"""

from __future__ import annotations

import contextlib
import random
import threading
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from ledger import Account, Ledger, Transfer, TransferFlags, TransferResult
from tests.reliability.support import record, seed_for, size, transfer_counts

ACCOUNT_IDS = (11, 12, 13)
BATCH_PAIRS = 1_500
TERMINATE_AFTER_S_MAX = 0.8
RETRY_RESULTS = {TransferResult.ok, TransferResult.exists, TransferResult.linked_event_failed}


def _clock() -> datetime:
    return datetime.now(UTC)


def _batch(first_id: int, rng: random.Random) -> list[Transfer]:
    transfers = []
    for n in range(BATCH_PAIRS):
        a, b, c = rng.sample(ACCOUNT_IDS, 3)
        amount = rng.randint(1, 90_000)
        tid = first_id + 2 * n
        transfers.append(
            Transfer(tid, a, b, amount, reference=f"t{tid}", flags=TransferFlags.LINKED)
        )
        transfers.append(Transfer(tid + 1, b, c, amount, reference=f"t{tid + 1}"))
    return transfers


def _terminator(url: str, delay_s: float, done: threading.Event, killed: list[int]) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        if done.wait(delay_s):
            return
        with admin.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state <> 'idle'"
                )
            )
            killed.append(sum(1 for (ok,) in rows if ok))
    finally:
        admin.dispose()


def test_terminated_backend_leaves_batch_whole_or_absent(pg_engine: Engine) -> None:
    seed = seed_for("pg-terminate", 77)
    rng = random.Random(seed)
    url = pg_engine.url.render_as_string(hide_password=False)
    ledger = Ledger(pg_engine, clock=_clock)
    ledger.create_accounts([Account(i, f"acct-{i}") for i in ACCOUNT_IDS])
    rounds = size(3, 20)
    outcomes = {"absent": 0, "whole": 0}
    terminated = 0
    stored: list[int] = []
    for round_ in range(rounds):
        batch = _batch(1 + round_ * 2 * BATCH_PAIRS, rng)
        ids = [t.id for t in batch]
        done, killed = threading.Event(), list[int]()
        killer = threading.Thread(
            target=_terminator,
            args=(url, rng.uniform(0.0, TERMINATE_AFTER_S_MAX), done, killed),
        )
        killer.start()
        # DBAPIError: the connection died and the ledger's own retry did not happen or failed.
        with contextlib.suppress(DBAPIError):
            ledger.create_transfers(batch)
        done.set()
        killer.join()
        terminated += sum(killed)
        pg_engine.dispose()  # drop pooled connections the terminator may have killed
        counts = transfer_counts(pg_engine, ids)
        present = set(counts.values())
        assert present in ({0}, {1}), f"round {round_}: batch partly stored {present}"
        outcomes["whole" if present == {1} else "absent"] += 1
        results = ledger.create_transfers(batch)
        assert set(results) <= RETRY_RESULTS
        assert set(transfer_counts(pg_engine, ids).values()) == {1}
        stored.extend(ids)
    assert ledger.verify() == []
    assert set(transfer_counts(pg_engine, stored).values()) == {1}
    record(
        "pg_terminate",
        {
            "seed": seed,
            "rounds": rounds,
            "backends_terminated": terminated,
            "batch_transfers": 2 * BATCH_PAIRS,
            "whole": outcomes["whole"],
            "absent": outcomes["absent"],
            "partial": 0,
            "transfers_checked": len(stored),
        },
    )
