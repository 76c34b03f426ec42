"""Group commit: concurrent callers are merged into one pass but keep their own results and
chains."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from ledger import Ledger, LedgerError, Transfer, TransferFlags, TransferResult
from ledger.group import GroupCommit
from tests.ledger.conftest import (
    BANK,
    BUYER,
    BUYER_FUNDS,
    SPARE,
    VENDOR,
    TestClock,
    balances,
    world_accounts,
)

THREADS = 8
WAIT_S = 30.0  # a waiting test thread gives up (and fails) after this long
R = TransferResult


def _in_threads(work: Callable[[int], object]) -> list[object]:
    out: list[object] = [None] * THREADS
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def run(n: int) -> None:
        barrier.wait()
        try:
            out[n] = work(n)
        except BaseException as exc:  # handed back to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return out


def test_chains_never_span_two_callers(world: Ledger) -> None:
    def call(n: int) -> list[TransferResult]:
        open_chain = [
            Transfer(100 + n, BANK, SPARE, 1),
            Transfer(200 + n, BANK, SPARE, 1, flags=TransferFlags.LINKED),
        ]
        return world.create_transfers(open_chain)

    assert _in_threads(call) == [[R.ok, R.linked_event_chain_open]] * THREADS
    assert balances(world, SPARE) == (0, 0, 0, THREADS)
    assert world.verify() == []


def test_one_callers_failure_is_not_anothers() -> None:
    def apply(_conn: object, batches: Sequence[Sequence[Transfer]]) -> list[list[TransferResult]]:
        if any(t.id == 13 for batch in batches for t in batch):
            raise RuntimeError("boom")
        return [[R.ok] * len(batch) for batch in batches]

    group = GroupCommit(apply, lambda work: work(None))  # type: ignore[arg-type]

    def call(n: int) -> object:
        try:
            return group.submit([Transfer(10 + n, BANK, SPARE, 1)])
        except RuntimeError as exc:
            return str(exc)

    results = _in_threads(call)
    assert results[3] == "boom"
    assert [r for n, r in enumerate(results) if n != 3] == [[R.ok]] * (THREADS - 1)


def test_misuse_still_raises_in_the_callers_thread(world: Ledger) -> None:
    with pytest.raises(LedgerError, match="must be int"):
        world.create_transfers([Transfer(1, BANK, SPARE, "5")])  # type: ignore[arg-type]


class GateClock:
    """The ledger's clock, holding its first reader (the first leader, inside its transaction)
    until the test opens the gate, so the callers behind it queue up deterministically."""

    def __init__(self, inner: TestClock) -> None:
        self._inner = inner
        self._first = True
        self._lock = threading.Lock()
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(self) -> datetime:
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.entered.set()
            assert self.gate.wait(WAIT_S), "the test never opened the gate"
        return self._inner()


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "callers did not queue"
        time.sleep(0.001)


# What each caller sends, in queue order, and the results it must get back.
_CALLS: list[tuple[list[Transfer], list[TransferResult]]] = [
    ([Transfer(500, BANK, SPARE, 1)], [R.ok]),  # the leader, held by the clock
    ([Transfer(501, BUYER, VENDOR, 1_000)], [R.ok]),
    ([Transfer(502, BUYER, VENDOR, BUYER_FUNDS)], [R.exceeds_credits]),  # after 501: overdraft
    ([Transfer(503, BUYER, VENDOR, 3_000)], [R.ok]),
    ([Transfer(501, BUYER, VENDOR, 1_000)], [R.exists]),  # the retry sees 501 in the same pass
    ([Transfer(501, BUYER, VENDOR, 9)], [R.exists_with_different_fields]),
    ([Transfer(506, BANK, SPARE, 1, flags=TransferFlags.LINKED)], [R.linked_event_chain_open]),
    ([Transfer(507, BANK, SPARE, 1)], [R.ok]),  # not chained onto the open chain before it
    (
        [
            Transfer(508, BANK, VENDOR, 5, flags=TransferFlags.LINKED),
            Transfer(509, BUYER, VENDOR, BUYER_FUNDS),  # overdraft: the whole chain fails
        ],
        [R.linked_event_failed, R.exceeds_credits],
    ),
]


class _TransactionWatch:
    """Counts the commits of an engine's connections and the transfer rows each commit wrote.

    On SQLite the ledger's own transactions run on the DBAPI connection, not through
    SQLAlchemy's events, so there the statements are taken from sqlite3's trace callback
    (executemany traces each row) on connections opened from now on. On PostgreSQL commits are
    SQLAlchemy's ``commit`` events, and the rows each transaction wrote are told by the
    database itself: rows inserted by one transaction share its id, their ``xmin``.
    """

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.statements: list[str] = []
        self.sqlite = db.dialect.name == "sqlite"
        if self.sqlite:
            db.dispose()
            event.listen(db, "connect", self._trace)
        else:
            query = text("SELECT max(timestamp_ns) FROM ledger_transfers")
            with db.connect() as conn:
                self.since_ns: int = conn.execute(query).scalar_one()
            event.listen(db, "commit", self._commit)

    def _trace(self, dbapi: Any, _record: object) -> None:
        dbapi.set_trace_callback(self.statements.append)

    def _commit(self, _connection: object) -> None:
        self.statements.append("COMMIT")

    def stop(self) -> None:
        if self.sqlite:
            event.remove(self.db, "connect", self._trace)
            self.db.dispose()
        else:
            event.remove(self.db, "commit", self._commit)

    @property
    def commits(self) -> int:
        return self.statements.count("COMMIT")

    @property
    def transfer_rows_per_commit(self) -> list[int]:
        """How many transfer rows each commit that wrote any wrote, in commit order."""
        if not self.sqlite:
            query = text(
                "SELECT count(*) FROM ledger_transfers WHERE timestamp_ns > :since "
                "GROUP BY xmin::text ORDER BY min(timestamp_ns)"
            )
            with self.db.connect() as conn:
                return list(conn.execute(query, {"since": self.since_ns}).scalars())
        counts, rows = [], 0
        for statement in self.statements:
            if statement == "COMMIT":
                counts.append(rows)
                rows = 0
            elif "INSERT INTO ledger_transfers" in statement:
                rows += 1
        return counts


def test_concurrent_single_transfer_callers_share_one_pass(db: Engine, clock: TestClock) -> None:
    setup = Ledger(db, clock=clock)
    assert set(setup.create_accounts(world_accounts())) == {R.ok}
    assert setup.create_transfers([Transfer(10**12, BANK, BUYER, BUYER_FUNDS)]) == [R.ok]
    gate = GateClock(clock)
    ledger = Ledger(db, clock=gate)
    watch = _TransactionWatch(db)
    got: list[list[TransferResult] | BaseException] = [[] for _ in _CALLS]

    def call(n: int) -> None:
        try:
            got[n] = ledger.create_transfers(_CALLS[n][0])
        except BaseException as exc:  # handed back to the test thread
            got[n] = exc

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(_CALLS))]
    threads[0].start()
    assert gate.entered.wait(WAIT_S)
    for n, thread in enumerate(threads[1:], start=1):
        thread.start()
        _wait_until(lambda n=n: ledger._group.queued_callers == n)  # type: ignore[misc]
    gate.gate.set()
    for thread in threads:
        thread.join()
    watch.stop()

    assert got == [expected for _, expected in _CALLS]
    # The leader's own transaction, then ONE merged pass for the eight callers queued behind it:
    # two commits, and the rows of the eight (501, 503, 507) written in the second.
    assert watch.commits == 2
    assert watch.transfer_rows_per_commit == [1, 3]
    assert balances(ledger, BUYER) == (0, 4_000, 0, BUYER_FUNDS)
    assert balances(ledger, VENDOR) == (0, 0, 0, 4_000)
    assert balances(ledger, SPARE) == (0, 0, 0, 2)
    assert ledger.verify() == []
