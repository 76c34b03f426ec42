"""Group commit: concurrent ``create_transfers`` calls in one process are merged into one pass.

Writers serialize on the chain head, so calls one after another would each pay the head lock,
~6 statements and a commit (an fsync). Instead a caller queues its batch; if no call is leading,
it leads: it drains the queue (up to ``GROUP_TRANSFERS_MAX`` transfers), and runs every queued
batch in ONE decision pass over one set of statements (one SELECT of the accounts all batches
touch, one executemany of the transfers, one of the balances, one head update) in one
transaction, then hands each caller its slice of the results (TigerBeetle does the same with
the requests of its clients). Each batch is still decided on its own — in queue order, each
seeing the ones before it, and a linked chain never spans two callers — so every caller gets
exactly the results its batch would get alone at that point in the sequence. If the merged
transaction fails, each batch is retried alone, so one caller's failure is never another's.

Callers waiting for results sleep on a condition, not on the leader's lock: they return as soon
as their group is committed. Other processes writing to the same database still serialize on
the head row, one transaction per process at a time (docs/LEDGER.md "Concurrency").
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.model import MAX_BATCH_TRANSFERS, Transfer, TransferResult
from ledger.store import Db

GROUP_TRANSFERS_MAX = MAX_BATCH_TRANSFERS  # transfers decided in one merged pass
# A new leader finding fewer callers queued than the last group had waits this long at most
# for them (PostgreSQL's commit_delay idea): closed-loop callers woken by one commit resubmit
# a moment later, and without the wait the first of them would lead alone and the rest would
# form the next group, halving the group size. Never applied while groups are single calls.
GROUP_GATHER_WAIT_S = 0.002

Batches = Sequence[Sequence[Transfer]]
Apply = Callable[[Db, Batches], list[list[TransferResult]]]
Write = Callable[[Callable[[Db], list[list[TransferResult]]]], list[list[TransferResult]]]


@dataclass
class _Request:
    transfers: Sequence[Transfer]
    results: list[TransferResult] | None = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """Merge concurrent batches: ``apply(conn, batches)`` decides them in one pass and returns
    one result list per batch; ``write(work)`` runs ``work`` in a transaction and commits."""

    def __init__(self, apply: Apply, write: Write) -> None:
        self._apply = apply
        self._write = write
        self._queue: deque[_Request] = deque()
        lock = threading.Lock()
        # Two conditions on one lock, so each wakes only the threads it concerns: callers
        # waiting for their results, and a leader waiting for the queue to fill.
        self._finished = threading.Condition(lock)
        self._gathered = threading.Condition(lock)
        self._leading = False
        self._last_group_callers = 1

    @property
    def queued_callers(self) -> int:
        """Callers whose batch waits for a leader (not yet in a group)."""
        with self._finished:
            return len(self._queue)

    def submit(self, transfers: Sequence[Transfer]) -> list[TransferResult]:
        request = _Request(transfers)
        with self._finished:
            self._queue.append(request)
            if len(self._queue) >= self._last_group_callers:
                self._gathered.notify()
        while not self._wait_or_lead(request):
            pass
        if request.error is not None:
            raise request.error
        assert request.results is not None, "a finished request has results or an error"
        return request.results

    def _wait_or_lead(self, request: _Request) -> bool:
        """Sleep until ``request`` is done or no one leads; lead one group then. True when done."""
        with self._finished:
            while self._leading and not request.done:
                self._finished.wait()
            if request.done:
                return True
            self._leading = True
            self._gather()
        group: list[_Request] = []
        try:
            group = self._take()
            self._run(group)
        except BaseException as exc:  # e.g. KeyboardInterrupt: nobody may wait forever
            for other in group:
                if not other.done:
                    other.error, other.done = exc, True
            raise
        finally:
            with self._finished:
                self._leading = False
                self._finished.notify_all()
        return request.done

    def _gather(self) -> None:
        """Wait (holding the condition) until the last group's number of callers is queued."""
        deadline = time.monotonic() + GROUP_GATHER_WAIT_S
        while len(self._queue) < self._last_group_callers:
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return
            self._gathered.wait(left_s)

    def _take(self) -> list[_Request]:
        with self._finished:
            group: list[_Request] = []
            size = 0
            while self._queue and (
                not group or size + len(self._queue[0].transfers) <= GROUP_TRANSFERS_MAX
            ):
                request = self._queue.popleft()
                size += len(request.transfers)
                group.append(request)
            self._last_group_callers = len(group)
            return group

    def _run(self, group: list[_Request]) -> None:
        batches = [request.transfers for request in group]
        try:
            outcomes = self._write(lambda conn: self._apply(conn, batches))
        except Exception:
            for request in group:
                self._run_alone(request)
            return
        assert len(outcomes) == len(group), "one result list per merged batch"
        for request, results in zip(group, outcomes, strict=True):
            assert len(results) == len(request.transfers), "one result per transfer"
            request.results, request.done = results, True

    def _run_alone(self, request: _Request) -> None:
        try:
            (request.results,) = self._write(lambda conn: self._apply(conn, [request.transfers]))
        except Exception as exc:
            request.error = exc
        request.done = True
