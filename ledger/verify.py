"""Check every ledger invariant; return every ``Violation`` rather than stopping at the first.

The checks: per currency, total debits equal total credits (pending and posted); every
account's balances equal the sums of its transfers; flagged accounts within their limits; every
post/void names a pending transfer with the same accounts and an allowed amount; each transfer
row is well formed; the hash chain is intact and ends at the chain head.
"""

from __future__ import annotations

from sqlalchemy import Connection, true

from ledger import read_queries
from ledger.hashchain import canonical_encoding, chain_hash
from ledger.model import ZERO_HASH, AccountFlags, Balances, TransferFlags, Violation
from ledger.rules import within_limits


def verify(conn: Connection) -> list[Violation]:
    violations: list[Violation] = []
    violations += _currency_totals(conn)
    violations += _account_balances(conn)
    violations += _resolutions(conn)
    violations += _hash_chain(conn)
    return violations


def _currency_totals(conn: Connection) -> list[Violation]:
    found = []
    for row in read_queries.currency_totals(conn):
        if row.debits_posted != row.credits_posted:
            found.append(
                Violation(
                    "debits_equal_credits",
                    f"currency {row.currency}",
                    f"posted debits {row.debits_posted} != posted credits {row.credits_posted}",
                )
            )
        if row.debits_pending != row.credits_pending:
            found.append(
                Violation(
                    "debits_equal_credits",
                    f"currency {row.currency}",
                    f"pending debits {row.debits_pending} != pending credits {row.credits_pending}",
                )
            )
    return found


def _account_balances(conn: Connection) -> list[Violation]:
    found = []
    computed = read_queries.balances_from_transfers(conn)
    for row in read_queries.account_rows(conn, true()):
        stored = Balances(
            row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted
        )
        expected = computed.get(row.id, Balances())
        if stored != expected:
            found.append(
                Violation(
                    "balance_equals_transfers",
                    f"account {row.id} ({row.code})",
                    f"stored {stored} but its transfers give {expected}",
                )
            )
        if not within_limits(AccountFlags(row.flags), stored):
            found.append(
                Violation(
                    "flagged_limits",
                    f"account {row.id} ({row.code})",
                    f"balances {stored} break flags {AccountFlags(row.flags)!r}",
                )
            )
    return found


def _resolutions(conn: Connection) -> list[Violation]:
    found = []
    for row in read_queries.resolutions(conn):
        item = f"transfer {row.id}"
        problem = None
        if row.p_id is None:
            problem = f"names pending transfer {row.pending_id}, which does not exist"
        elif not row.p_flags & TransferFlags.PENDING:
            problem = f"names transfer {row.p_id}, which is not pending"
        elif (row.debit_account_id, row.credit_account_id) != (row.p_debit, row.p_credit):
            problem = f"accounts differ from pending transfer {row.p_id}"
        elif row.p_ts >= row.timestamp_ns:
            problem = f"is older than pending transfer {row.p_id}"
        elif row.flags & TransferFlags.POST_PENDING_TRANSFER and row.amount_dong > row.p_amount:
            problem = f"posts {row.amount_dong} of a pending {row.p_amount}"
        elif row.flags & TransferFlags.VOID_PENDING_TRANSFER and row.amount_dong != row.p_amount:
            problem = f"voids {row.amount_dong} of a pending {row.p_amount}"
        if problem is not None:
            found.append(Violation("pending_consistent", item, problem))
    return found


def _hash_chain(conn: Connection) -> list[Violation]:
    found = []
    prev_hash, count = ZERO_HASH, 0
    for row in read_queries.chain_rows(conn):
        count += 1
        item = f"transfer {row.id}"
        if row.amount_dong <= 0 or row.debit_account_id == row.credit_account_id:
            found.append(Violation("transfer_well_formed", item, "amount or accounts invalid"))
        if row.prev_hash != prev_hash:
            found.append(Violation("hash_chain", item, f"prev_hash {row.prev_hash} != {prev_hash}"))
        encoding = canonical_encoding(
            id=row.id,
            debit_account_id=row.debit_account_id,
            credit_account_id=row.credit_account_id,
            amount_dong=row.amount_dong,
            pending_id=row.pending_id,
            timeout_s=row.timeout_s,
            flags=row.flags,
            reference=row.reference,
            memo=row.memo,
            metadata=row.metadata,
            timestamp_ns=row.timestamp_ns,
        )
        computed = chain_hash(row.prev_hash, encoding)
        if computed != row.hash:
            found.append(
                Violation("hash_chain", item, f"stored hash {row.hash} != computed {computed}")
            )
        prev_hash = row.hash
    head = read_queries.read_head(conn)
    if (head.last_hash, head.transfer_count) != (prev_hash, count):
        found.append(
            Violation(
                "hash_chain",
                "chain head",
                f"head says {head.transfer_count} transfers ending {head.last_hash}; "
                f"rows give {count} ending {prev_hash}",
            )
        )
    return found
