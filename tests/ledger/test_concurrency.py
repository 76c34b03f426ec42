"""Many writers at once on PostgreSQL: 16 threads of random transfers among a few hot accounts,
overdraft attempts on a customer account, duplicate-id retries of their own batches and the same
shared ids sent by every thread. Afterwards verify() is empty and every balance is exactly what
the accepted transfers imply."""

from __future__ import annotations

import random
import threading
from collections import Counter

from sqlalchemy import Engine

from ledger import Account, AccountFlags, Ledger, Transfer, TransferResult, derive_id
from merchant_app.database import make_engine
from tests.ledger.conftest import TestClock

THREADS = 16
ROUNDS = 20
HOT = (1, 2, 3, 4, 5)
CUSTOMER = 6
CUSTOMER_FUNDS = 200_000
SHARED_IDS = 40
R = TransferResult


def _shared(k: int) -> Transfer:
    """The same transfer, whichever thread sends it."""
    return Transfer(derive_id(f"shared:{k}"), HOT[k % 5], HOT[(k + 1) % 5], 1_000 + k)


def _worker(
    ledger: Ledger,
    seed: int,
    log: list[tuple[Transfer, TransferResult]],
    errors: list[BaseException],
) -> None:
    try:
        _work(ledger, seed, log)
    except BaseException as exc:  # handed to the main thread, which fails the test with it
        errors.append(exc)


def _work(ledger: Ledger, seed: int, log: list[tuple[Transfer, TransferResult]]) -> None:
    rng = random.Random(seed)
    sent: list[tuple[list[Transfer], list[TransferResult]]] = []
    for round_no in range(ROUNDS):
        batch = []
        for n in range(rng.randint(1, 6)):
            debit, credit = rng.sample(HOT, 2)
            if rng.random() < 0.25:
                debit = CUSTOMER
            tid = derive_id(f"thread:{seed}:{round_no}:{n}")
            batch.append(Transfer(tid, debit, credit, rng.randint(1, 9_000)))
        batch.append(_shared(rng.randrange(SHARED_IDS)))
        if sent and rng.random() < 0.3:
            retry, first = rng.choice(sent)
            # A retry never posts again; a refused overdraft stays refused (the customer's
            # debits only grow).
            again = ledger.create_transfers(retry)
            assert again == [
                R.exceeds_credits if r is R.exceeds_credits else R.exists for r in first
            ]
        results = ledger.create_transfers(batch)
        log.extend(zip(batch, results, strict=True))
        sent.append((batch, results))


def test_sixteen_concurrent_writers_keep_every_invariant(pg_engine: Engine) -> None:
    engine = make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=THREADS)
    ledger = Ledger(engine, clock=TestClock())
    accounts = [Account(a, f"hot-{a}") for a in HOT]
    accounts.append(
        Account(CUSTOMER, "customer", flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    )
    assert set(ledger.create_accounts(accounts)) == {R.ok}
    assert ledger.create_transfers([Transfer(10**15, 1, CUSTOMER, CUSTOMER_FUNDS)]) == [R.ok]

    logs: list[list[tuple[Transfer, TransferResult]]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_worker, args=(ledger, seed, logs[seed], errors))
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]

    entries = [entry for log in logs for entry in log]
    assert {result for _, result in entries} <= {R.ok, R.exists, R.exceeds_credits}
    accepted = {t.id: t for t, result in entries if result is R.ok}
    ok_count = Counter(t.id for t, result in entries if result is R.ok)
    assert max(ok_count.values()) == 1  # no id was ever accepted twice
    shared_sent = {t.id for t, _ in entries if t == _shared_by_id(t.id)}
    assert shared_sent <= set(accepted)  # each shared id: exactly one ok, the rest exists
    assert any(result is R.exceeds_credits for _, result in entries)

    expected = {a: 0 for a in (*HOT, CUSTOMER)}
    expected[1] -= CUSTOMER_FUNDS
    expected[CUSTOMER] += CUSTOMER_FUNDS
    for t in accepted.values():
        expected[t.debit_account_id] -= t.amount_dong
        expected[t.credit_account_id] += t.amount_dong
    got = {a.id: a.balance for a in ledger.lookup_accounts(expected)}
    assert got == expected
    assert sum(got.values()) == 0
    assert got[CUSTOMER] >= 0
    assert ledger.verify() == []
    engine.dispose()


_SHARED = {_shared(k).id: _shared(k) for k in range(SHARED_IDS)}


def _shared_by_id(tid: int) -> Transfer | None:
    return _SHARED.get(tid)
