"""The pure matcher: each kind of disagreement is found, and agreement reports nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.reconciliation.match import DayRows, match_day
from payments.reconciliation.memo import memo_carries
from payments.reconciliation.model import (
    CreditRow,
    DayWindow,
    Kind,
    NotificationRow,
    RequestRow,
    SwitchRow,
    SwitchStatus,
    UnmatchedCreditRow,
)

DAY = DayWindow(datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))
NOON = datetime(2026, 5, 1, 5, 0, tzinfo=UTC)


def switch(ref: str, amount: int = 25_000, *, at: datetime = NOON, status: str = "ok") -> SwitchRow:
    return SwitchRow(ref, amount, at, SwitchStatus(status), "970405", "970415", vendor_id=7)


def credit(ref: str, amount: int = 25_000, *, at: datetime = NOON, tid: int = 1) -> CreditRow:
    return CreditRow(tid, ref, amount, at, "970415", vendor_id=7)


def note(ref: str, *, at: datetime = NOON, delivery: str = "d1") -> NotificationRow:
    return NotificationRow(delivery, f"ev-{ref}", ref, 25_000, at)


def kinds(rows: DayRows) -> list[tuple[Kind, str | None]]:
    return [(item.kind, item.switch_ref) for item in match_day(rows)]


def test_agreeing_books_report_nothing() -> None:
    rows = DayRows(
        DAY,
        [switch("a"), switch("b")],
        [credit("a"), credit("b", tid=2)],
        [note("a"), note("b", delivery="d2")],
    )
    assert match_day(rows) == []


def test_completed_at_switch_but_absent_from_ledger_is_missing_in_ledger() -> None:
    found = match_day(DayRows(DAY, [switch("a")], []))
    assert [item.kind for item in found] == [Kind.MISSING_IN_LEDGER]
    assert found[0].amount_expected_dong == 25_000
    assert "re-drive" in found[0].suggested_fix


def test_timeout_at_switch_but_credited_in_ledger_is_missing_at_switch() -> None:
    found = match_day(
        DayRows(DAY, [switch("a", status="timeout")], [credit("a", tid=9)], [note("a")])
    )
    assert [(item.kind, item.ledger_transfer_ids) for item in found] == [
        (Kind.MISSING_AT_SWITCH, (9,))
    ]
    assert "timeout" in found[0].detail


def test_failed_attempt_without_credit_is_not_an_exception() -> None:
    assert match_day(DayRows(DAY, [switch("a", status="failed")], [])) == []


def test_two_credits_for_one_payment_is_a_duplicate_naming_both_transfers() -> None:
    found = match_day(
        DayRows(DAY, [switch("a")], [credit("a", tid=1), credit("a", tid=2)], [note("a")])
    )
    assert [(item.kind, item.ledger_transfer_ids) for item in found] == [(Kind.DUPLICATE, (1, 2))]


def test_amount_mismatch_carries_both_amounts() -> None:
    found = match_day(DayRows(DAY, [switch("a", 25_000)], [credit("a", 52_000)], [note("a")]))
    assert [(i.kind, i.amount_expected_dong, i.amount_found_dong) for i in found] == [
        (Kind.AMOUNT_MISMATCH, 25_000, 52_000)
    ]


def test_posting_past_the_drift_tolerance_is_late_but_inside_is_fine() -> None:
    inside = DayRows(
        DAY,
        [switch("a")],
        [credit("a", at=NOON + timedelta(seconds=100))],
        [note("a", at=NOON + timedelta(seconds=101))],
    )
    assert match_day(inside) == []
    outside = DayRows(
        DAY,
        [switch("a", at=DAY.end - timedelta(seconds=5))],
        [credit("a", at=DAY.end + timedelta(hours=3))],
        [note("a", at=DAY.end + timedelta(hours=3))],
    )
    assert kinds(outside) == [(Kind.LATE, "a")]


def test_next_days_posting_of_yesterdays_payment_is_not_reported_again_tomorrow() -> None:
    tomorrow = DayWindow(DAY.end, DAY.end + timedelta(days=1))
    rows = DayRows(
        tomorrow,
        [switch("a", at=DAY.end - timedelta(seconds=5))],
        [credit("a", at=DAY.end + timedelta(hours=3))],
        [note("a", at=DAY.end + timedelta(hours=3))],
    )
    assert match_day(rows) == []


def test_missing_duplicate_and_late_notifications() -> None:
    rows = DayRows(
        DAY,
        [switch("a"), switch("b"), switch("c")],
        [credit("a", tid=1), credit("b", tid=2), credit("c", tid=3)],
        [
            note("b", delivery="b1"),
            note("b", delivery="b2"),
            note("c", at=NOON + timedelta(minutes=10), delivery="c1"),
        ],
    )
    found = match_day(rows)
    assert [(i.kind, i.switch_ref) for i in found] == [
        (Kind.DUPLICATE, "b"),
        (Kind.LATE, "c"),
        (Kind.MISSING_NOTIFICATION, "a"),
    ]
    assert found[0].notification_ids == ("b1", "b2")


def test_paid_request_without_its_credit_is_orphan() -> None:
    requests = [
        RequestRow(1, "MP7K3Q9X", 40_000, "paid", NOON, 7, ("gone",)),
        RequestRow(2, "MP8AAAAA", 40_000, "paid", NOON, 7, ("a",)),
        RequestRow(3, "MP9BBBBB", 40_000, "pending", NOON, 7, ()),
    ]
    rows = DayRows(DAY, [switch("a", 40_000)], [credit("a", 40_000)], [note("a")], requests)
    found = match_day(rows)
    assert [(i.kind, i.request_id, i.switch_ref) for i in found] == [
        (Kind.ORPHAN_REQUEST, 1, "gone")
    ]


def test_unmatched_credit_suggests_the_request_its_truncated_memo_names() -> None:
    requests = [RequestRow(5, "MP7K3Q9XZ2", 40_000, "pending", NOON, 7)]
    unmatched = [
        UnmatchedCreditRow("x", "MBVCB.3312.CT DEN MP7K3Q9", 40_000, NOON, 7),
        UnmatchedCreditRow("y", "chuyen tien", 13_000, NOON, 7),
    ]
    found = match_day(DayRows(DAY, [], [], [], requests, unmatched))
    assert [(i.kind, i.switch_ref, i.request_id) for i in found] == [
        (Kind.UNMATCHED_CREDIT, "x", 5),
        (Kind.UNMATCHED_CREDIT, "y", None),
    ]
    assert "refund" in found[1].suggested_fix


def test_unmatched_credit_falls_back_to_amount_and_time_only_when_unambiguous() -> None:
    one = [RequestRow(5, "MPAAAAAA", 40_000, "pending", NOON, 7)]
    two = [*one, RequestRow(6, "MPBBBBBB", 40_000, "pending", NOON, 7)]
    credit_row = [UnmatchedCreditRow("x", "ck", 40_000, NOON + timedelta(minutes=2), 7)]
    assert match_day(DayRows(DAY, [], [], [], one, credit_row))[0].request_id == 5
    assert match_day(DayRows(DAY, [], [], [], two, credit_row))[0].request_id is None


def test_memo_matching_tolerates_prefixes_case_and_truncation_but_not_short_stubs() -> None:
    assert memo_carries("IBFT mp7k3q9x thanh toan", "MP7K3Q9X")
    assert memo_carries("CT DEN:0123 MP7K3Q", "MP7K3Q9X")  # cut after 6 characters
    assert not memo_carries("CT DEN:0123 MP7K", "MP7K3Q9X")  # 4 characters prove nothing
    assert not memo_carries("MP7K3Q9Y", "MP7K3Q9X")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5_000_000), st.integers(0, 3)), min_size=1, max_size=30))
def test_every_dropped_credit_is_found_and_nothing_else(payments: list[tuple[int, int]]) -> None:
    switch_rows, credit_rows, notes = [], [], []
    dropped = set()
    for index, (amount, fate) in enumerate(payments):
        ref = f"p{index}"
        switch_rows.append(switch(ref, amount))
        if fate == 0:
            dropped.add(ref)
            continue
        credit_rows.append(credit(ref, amount, tid=index))
        notes.append(note(ref, delivery=f"d{index}"))
    found = match_day(DayRows(DAY, switch_rows, credit_rows, notes))
    assert {(i.kind, i.switch_ref) for i in found} == {
        (Kind.MISSING_IN_LEDGER, ref) for ref in dropped
    }


def test_lost_reply_confirmed_by_a_retry_is_not_an_exception() -> None:
    later = NOON + timedelta(minutes=3)
    attempts = [switch("a", status="timeout"), switch("a", at=later, status="confirmed")]
    assert match_day(DayRows(DAY, attempts, [credit("a")], [note("a")])) == []


def test_a_request_paid_by_a_prefiltered_clean_payment_is_not_orphan() -> None:
    request = RequestRow(1, "MPCLEAN1", 40_000, "paid", NOON, 7, ("clean-ref",))
    assert match_day(DayRows(DAY, [], [], [], [request], clean_refs=frozenset({"clean-ref"}))) == []
    assert [i.kind for i in match_day(DayRows(DAY, [], [], [], [request]))] == [Kind.ORPHAN_REQUEST]
