"""Group commit: concurrent callers share transactions but keep their own results and chains."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from ledger import Ledger, LedgerError, Transfer, TransferFlags, TransferResult
from ledger.group import GroupCommit
from tests.ledger.conftest import BANK, SPARE, balances

THREADS = 8
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
    def apply(_conn: object, transfers: Sequence[Transfer]) -> list[TransferResult]:
        if any(t.id == 13 for t in transfers):
            raise RuntimeError("boom")
        return [R.ok] * len(transfers)

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
