"""Group commit: concurrent ``create_transfers`` calls in one process share one transaction.

Writers serialize on the chain head, so each call's commit (an fsync) would otherwise be paid
one after another. Here a caller queues its batch and then takes the commit lock; whoever holds
it (the leader) runs every queued batch, each exactly as its own call would (same checks, same
results: batches are applied one after the other, chains never span two callers), in a single
transaction, and hands each caller its results. If that shared transaction fails, the leader
runs the batches one by one, so one caller's failure is never another's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ledger.model import MAX_BATCH_TRANSFERS, Transfer, TransferResult

GROUP_TRANSFERS_MAX = MAX_BATCH_TRANSFERS  # transfers in one shared transaction


@dataclass
class _Request:
    transfers: Sequence[Transfer]
    results: list[TransferResult] | None = None
    error: BaseException | None = None
    done: bool = field(default=False)


Apply = Callable[[Connection, Sequence[Transfer]], list[TransferResult]]
Write = Callable[[Callable[[Connection], list[list[TransferResult]]]], list[list[TransferResult]]]


class GroupCommit:
    def __init__(self, apply: Apply, write: Write) -> None:
        self._apply = apply
        self._write = write
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

    def submit(self, transfers: Sequence[Transfer]) -> list[TransferResult]:
        request = _Request(transfers)
        with self._queue_lock:
            self._queue.append(request)
        while True:
            with self._commit_lock:
                if not request.done:
                    self._lead()
            if request.done:
                break
        if request.error is not None:
            raise request.error
        assert request.results is not None
        return request.results

    def _take(self) -> list[_Request]:
        with self._queue_lock:
            group: list[_Request] = []
            size = 0
            while self._queue and (
                not group or size + len(self._queue[0].transfers) <= GROUP_TRANSFERS_MAX
            ):
                request = self._queue.pop(0)
                size += len(request.transfers)
                group.append(request)
            return group

    def _lead(self) -> None:
        group = self._take()
        if not group:
            return
        try:
            outcomes = self._write(lambda conn: [self._apply(conn, r.transfers) for r in group])
        except Exception:
            if len(group) == 1:
                self._run_alone(group[0])
                return
            for request in group:
                self._run_alone(request)
            return
        for request, results in zip(group, outcomes, strict=True):
            request.results, request.done = results, True

    def _run_alone(self, request: _Request) -> None:
        try:
            (request.results,) = self._write(lambda conn: [self._apply(conn, request.transfers)])
        except Exception as exc:
            request.error = exc
        request.done = True
