"""The vendor hears the amount right: "Đã nhận 25.000 đồng", read aloud in Vietnamese."""

from __future__ import annotations

import pytest

from payments.notifications import (
    announcement,
    event_id_for,
    format_dong,
    spoken_announcement,
    spoken_dong,
)


@pytest.mark.parametrize(
    ("amount_dong", "text"),
    [
        (25_000, "hai mươi lăm nghìn đồng"),
        (5_000, "năm nghìn đồng"),
        (105_000, "một trăm lẻ năm nghìn đồng"),
        (1_500_000, "một triệu năm trăm nghìn đồng"),
        # num2words alone says "một triệu năm nghìn", which a listener cannot tell from 1.5 M.
        (1_005_000, "một triệu không trăm lẻ năm nghìn đồng"),
        (2_050_000, "hai triệu không trăm năm mươi nghìn đồng"),
        (1_025, "một nghìn không trăm hai mươi lăm đồng"),
        (21_000, "hai mươi mốt nghìn đồng"),
        (300_000_000, "ba trăm triệu đồng"),
    ],
)
def test_amount_is_read_aloud_in_vietnamese(amount_dong: int, text: str) -> None:
    assert spoken_dong(amount_dong) == text


def test_announcement_shows_grouped_digits_and_speaks_words() -> None:
    assert announcement(25_000) == "Đã nhận 25.000 đồng"
    assert spoken_announcement(25_000) == "Đã nhận hai mươi lăm nghìn đồng"
    assert format_dong(1_234_567) == "1.234.567 đồng"


@pytest.mark.parametrize("amount_dong", [0, -5, 10**18])
def test_spoken_amount_refuses_amounts_out_of_range(amount_dong: int) -> None:
    with pytest.raises(ValueError, match="amount_dong"):
        spoken_dong(amount_dong)


def test_event_id_is_stable_and_distinct_per_payment() -> None:
    assert event_id_for(12345) == event_id_for(12345)
    assert event_id_for(12345) != event_id_for(12346)
    assert event_id_for(1).startswith("evt_")


def test_event_ids_sort_as_their_ledger_ids() -> None:
    # pay_events' unique index is appended to when ledger ids grow with time.
    ids = [1, 15, 16, 2**40, 2**62 + 7, 2**63 - 1]
    assert sorted(event_id_for(i) for i in ids) == [event_id_for(i) for i in ids]
