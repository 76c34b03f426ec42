"""The clean-payment prefilter never hides a fault it does not check itself.

The claim query (``prefilter.py``) follows one credit to one ledger leg, one switch record and
one event; a second row on any side, written around the services here, must still reach the
matcher (the claim is withdrawn) and be reported, with the day's counts still exact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, DateTime, Engine, func, insert, literal, select, text, update

from ledger.tables import transfers as ledger_transfers
from payments.faults import FaultRates
from payments.reconciliation.claims import claims_table
from payments.reconciliation.job import reconcile_day
from payments.reconciliation.model import DayWindow, Kind, Tolerance
from payments.reconciliation.prefilter import (
    EPOCH_DATE,
    day_number,
    ledger_day_number,
    unlinked_switch_records,
)
from payments.reconciliation.tables import metadata as recon_metadata
from payments.settlement import business_day_window
from payments.tables import credits, events, switch_messages
from tests.payments.reconciliation.world import FIRST_DAY, build_month

NOW = datetime(2026, 6, 5, tzinfo=UTC)
PAYMENTS = 40


@pytest.fixture(params=["linked", "unlinked", "half_linked"])
def clean_day(db: Engine, request: pytest.FixtureRequest) -> Engine:
    """A clean day paid through the switch (its records name their credit legs), or with the
    links erased on every or every other record, as rows written before migration 0009 are."""
    recon_metadata.create_all(db)
    build_month(db, days=1, payments_per_day=PAYMENTS, rates=FaultRates({}))
    erased = {
        "linked": None,
        "unlinked": switch_messages.c.id > 0,
        "half_linked": switch_messages.c.id % 2 == 0,
    }[request.param]
    with db.begin() as connection:
        linked = select(func.count()).where(switch_messages.c.ledger_transfer_id.is_not(None))
        assert connection.execute(linked).scalar_one() == PAYMENTS
        if erased is not None:
            connection.execute(
                update(switch_messages).where(erased).values(ledger_transfer_id=None)
            )
    return db


def _a_credit(connection: Connection) -> tuple[int, str, int]:
    """(credit id, switch reference, ledger leg id) of the day's tenth credit."""
    row = connection.execute(
        select(credits.c.id, credits.c.client_transfer_id, credits.c.ledger_transfer_id)
        .order_by(credits.c.id)
        .offset(9)
        .limit(1)
    ).one()
    return int(row[0]), str(row[1]), int(row[2])


def _second_ledger_leg(connection: Connection) -> str:
    _credit_id, ref, leg_id = _a_credit(connection)
    leg = connection.execute(select(ledger_transfers).where(ledger_transfers.c.id == leg_id)).one()
    last = connection.execute(
        select(func.max(ledger_transfers.c.id), func.max(ledger_transfers.c.timestamp_ns))
    ).one()
    copy = dict(leg._mapping)
    copy.update(id=last[0] + 1, timestamp_ns=last[1] + 1)
    connection.execute(insert(ledger_transfers).values(copy))
    return ref


def _second_switch_record(connection: Connection) -> str:
    _credit_id, ref, _leg_id = _a_credit(connection)
    record = connection.execute(
        select(switch_messages).where(switch_messages.c.client_transfer_id == ref)
    ).one()
    copy = dict(record._mapping)
    del copy["id"]
    copy["created_at"] = record.created_at + timedelta(seconds=1)
    connection.execute(insert(switch_messages).values(copy))
    return ref


def _second_event(connection: Connection) -> str:
    credit_id, ref, _leg_id = _a_credit(connection)
    event = connection.execute(select(events).where(events.c.credit_id == credit_id)).one()
    copy = dict(event._mapping)
    del copy["seq"]
    copy["event_id"] = f"again-{credit_id}"
    connection.execute(insert(events).values(copy))
    return ref


def test_a_clean_day_counts_every_side_and_reports_nothing(clean_day: Engine) -> None:
    result = reconcile_day(clean_day, FIRST_DAY, now=NOW)
    assert result.discrepancies == []
    assert (result.switch_records, result.ledger_credits, result.notifications) == (40, 40, 40)
    assert result.matched == PAYMENTS


@pytest.mark.parametrize(
    ("write_around", "counts"),
    [
        (_second_ledger_leg, (40, 41, 40)),
        (_second_switch_record, (41, 40, 40)),
        (_second_event, (40, 40, 41)),
    ],
    ids=["ledger_leg", "switch_record", "event"],
)
def test_a_second_row_on_any_side_of_a_clean_payment_is_a_duplicate(
    clean_day: Engine,
    write_around: Callable[[Connection], str],
    counts: tuple[int, int, int],
) -> None:
    with clean_day.begin() as connection:
        ref = write_around(connection)
    result = reconcile_day(clean_day, FIRST_DAY, now=NOW)
    # A second completion also moves the switch's settlement nets: reported on its own.
    payments = [item for item in result.discrepancies if item.kind is not Kind.SETTLEMENT_MISMATCH]
    assert [(item.kind, item.switch_ref) for item in payments] == [(Kind.DUPLICATE, ref)]
    assert (result.switch_records, result.ledger_credits, result.notifications) == counts
    assert result.matched == PAYMENTS - 1


def _link_to_nothing(connection: Connection) -> None:
    _credit_id, ref, _leg_id = _a_credit(connection)
    connection.execute(
        update(switch_messages)
        .where(switch_messages.c.client_transfer_id == ref)
        .values(ledger_transfer_id=-1)
    )


def _link_to_another_payment(connection: Connection) -> None:
    _credit_id, ref, _leg_id = _a_credit(connection)
    other_leg = connection.execute(
        select(credits.c.ledger_transfer_id).where(credits.c.client_transfer_id != ref).limit(1)
    ).scalar_one()
    connection.execute(
        update(switch_messages)
        .where(switch_messages.c.client_transfer_id == ref)
        .values(ledger_transfer_id=other_leg)
    )


@pytest.mark.parametrize("mislink", [_link_to_nothing, _link_to_another_payment])
def test_a_wrong_link_hides_nothing_and_the_payments_still_match_by_reference(
    clean_day: Engine, mislink: Callable[[Connection], None]
) -> None:
    # Claims are only a shortcut: the payments a wrong link keeps out of them (one, or both
    # whose legs it names) reach the matcher, which pairs by reference and finds them in order.
    with clean_day.begin() as connection:
        mislink(connection)
    result = reconcile_day(clean_day, FIRST_DAY, now=NOW)
    assert result.discrepancies == []
    assert (result.switch_records, result.ledger_credits, result.notifications) == (40, 40, 40)
    assert result.matched == PAYMENTS


def _claimed(db: Engine) -> int:
    with db.connect() as connection:
        span = DayWindow(*business_day_window(FIRST_DAY))
        with claims_table(connection, span, Tolerance()) as claims:
            return int(connection.execute(select(func.count()).select_from(claims)).scalar_one())


def test_every_clean_payment_is_claimed_with_or_without_links(clean_day: Engine) -> None:
    # Without links (or with some missing) the range is claimed by reference, not left out.
    assert _claimed(clean_day) == PAYMENTS


def test_linked_records_are_claimed_through_their_link(db: Engine) -> None:
    recon_metadata.create_all(db)
    build_month(db, days=1, payments_per_day=PAYMENTS, rates=FaultRates({}))
    span = DayWindow(*business_day_window(FIRST_DAY))
    with db.begin() as connection:
        assert connection.execute(unlinked_switch_records(span)).first() is None
        _link_to_nothing(connection)
    assert _claimed(db) == PAYMENTS - 1


def test_rerunning_after_a_fault_appears_reports_it(clean_day: Engine) -> None:
    first = reconcile_day(clean_day, FIRST_DAY, now=NOW)
    with clean_day.begin() as connection:
        ref = _second_ledger_leg(connection)
    again = reconcile_day(clean_day, FIRST_DAY, now=NOW)
    assert first.discrepancies == []
    assert [item.switch_ref for item in again.discrepancies] == [ref]


@pytest.mark.parametrize(
    ("moment", "business_day"),
    [
        (datetime(2026, 5, 1, 17, 0, tzinfo=UTC), date(2026, 5, 2)),  # local midnight
        (datetime(2026, 5, 1, 16, 59, 59, 999_999, tzinfo=UTC), date(2026, 5, 1)),
        (datetime(2099, 12, 31, 16, 59, 59, 999_999, tzinfo=UTC), date(2099, 12, 31)),
    ],
)
def test_business_day_numbers_are_exact_at_midnight(
    db: Engine, moment: datetime, business_day: date
) -> None:
    at = literal(moment, DateTime(timezone=True))
    at_ns = literal(int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000)
    with db.connect() as connection:
        days = connection.execute(
            select(day_number(at, db.dialect.name), ledger_day_number(at_ns))
        ).one()
    assert [EPOCH_DATE + timedelta(days=int(n)) for n in days] == [business_day, business_day]


def test_the_job_leaves_pooled_connections_as_it_found_them(clean_day: Engine) -> None:
    # The job widens its connection's memory map (SQLite) or work_mem (PostgreSQL).
    setting = text(
        "SHOW work_mem" if clean_day.dialect.name == "postgresql" else "PRAGMA mmap_size"
    )
    with clean_day.connect() as connection:
        before = connection.execute(setting).all()
    reconcile_day(clean_day, FIRST_DAY, now=NOW)
    with clean_day.connect() as connection:
        assert connection.execute(setting).all() == before
