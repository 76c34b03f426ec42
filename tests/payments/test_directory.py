"""The market directory: market days, vendors with hashed tokens, receiving accounts."""

from __future__ import annotations

from datetime import date

import pytest

from payments.directory import (
    AccountLink,
    MarketDayRule,
    add_receiving_account,
    add_receiving_accounts,
    create_commune,
    create_district,
    create_market,
    directory_tree,
    hash_token,
    market_rule,
    receiving_accounts_of,
    register_vendor,
    vendor_by_token,
)
from payments.errors import Conflict, InvalidInput, NotFound, UnknownAccount, UnknownBank
from payments.tables import vendors
from qr import parse
from tests.payments.world import AGRIBANK, CITY, MB, Stall, World, row_counts


def test_interval_rule_holds_every_fifth_day_from_the_anchor() -> None:
    rule = MarketDayRule("interval", interval_days=5, anchor=date(2026, 5, 4))
    days = [d for d in range(1, 20) if rule.is_market_day(date(2026, 5, d))]
    assert days == [4, 9, 14, 19]


def test_lunar_rule_follows_the_lunar_calendar() -> None:
    rule = MarketDayRule("lunar", lunar_days=(1, 15))
    # Tết 2026 (1st day of the 1st lunar month) is 17 February 2026; 15th is 3 March.
    assert rule.is_market_day(date(2026, 2, 17))
    assert rule.is_market_day(date(2026, 3, 3))
    assert not rule.is_market_day(date(2026, 2, 18))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "weekly"}, "kind"),
        ({"kind": "interval", "interval_days": 5}, "anchor"),
        ({"kind": "interval", "interval_days": 0, "anchor": date(2026, 1, 1)}, "interval_days"),
        ({"kind": "lunar", "lunar_days": (0, 31)}, "lunar_days"),
        ({"kind": "lunar"}, "lunar_days"),
    ],
)
def test_bad_market_day_rules_are_named(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        MarketDayRule(**kwargs)  # type: ignore[arg-type]


def test_market_rule_round_trips_through_the_database(world: World) -> None:
    with world.engine.begin() as connection:
        district = create_district(connection, "Định Hóa")
        commune = create_commune(connection, district, "Chợ Chu")
        rule = MarketDayRule("lunar", lunar_days=(1, 6, 11, 16, 21, 26))
        market = create_market(connection, commune, "Chợ Chu", rule, 5_000)
        assert market_rule(connection, market) == rule
        tree = directory_tree(connection)
    assert tree[0]["name"] == "Định Hóa"
    assert tree[0]["communes"][0]["markets"][0]["lunar_days"] == "1,6,11,16,21,26"  # type: ignore[index]


def test_vendor_token_is_stored_hashed_and_finds_the_vendor(
    world: World, vendor_with_two_banks: Stall
) -> None:
    with world.engine.connect() as connection:
        stored = connection.execute(vendors.select()).first()
        assert stored is not None
        assert stored.token_hash == hash_token(vendor_with_two_banks.token)
        assert vendor_with_two_banks.token not in stored.token_hash
        found = vendor_by_token(connection, vendor_with_two_banks.token)
        assert found is not None
        assert found.id == vendor_with_two_banks.vendor.id
        assert vendor_by_token(connection, "guess") is None


def test_bad_vendor_input_is_named_and_changes_nothing(
    world: World, vendor_with_two_banks: Stall
) -> None:
    before = row_counts(world.engine)
    market_id = vendor_with_two_banks.vendor.market_id
    cases = [
        ({"phone": "12ab"}, InvalidInput, "phone"),
        ({"name": " "}, InvalidInput, "vendor name"),
        ({"market_id": 999}, NotFound, "market 999"),
        ({"phone": vendor_with_two_banks.vendor.phone}, Conflict, "already registered"),
    ]
    for change, error, match in cases:
        values = {
            "market_id": market_id,
            "name": "Lò Văn Sáng",
            "phone": "0987654321",
            "category": "thịt",
            "stall": "B2",
        }
        values.update(change)
        with pytest.raises(error, match=match), world.engine.begin() as connection:
            register_vendor(connection, now=world.clock.now(), **values)  # type: ignore[arg-type]
    assert row_counts(world.engine) == before


def test_static_payload_is_the_account_and_the_bank_name(
    world: World, vendor_with_two_banks: Stall
) -> None:
    account = vendor_with_two_banks.accounts[0]
    code = parse(account.static_payload)
    assert (code.bin, code.account) == (account.bank_bin, account.account_number)
    assert code.point_of_initiation == "static"
    assert code.amount is None
    assert code.merchant_name == "NGUYEN THI HOA"
    assert account.holder_name == "Nguyễn Thị Hoa"


def test_receiving_account_must_exist_at_a_connected_bank(
    world: World, vendor_with_two_banks: Stall
) -> None:
    before = row_counts(world.engine)
    vendor_id = vendor_with_two_banks.vendor.id
    cases = [
        ("970499", "123", UnknownBank, "970499"),
        (AGRIBANK, "999999", UnknownAccount, "999999"),
        (AGRIBANK, vendor_with_two_banks.accounts[0].account_number, Conflict, "already"),
        (AGRIBANK, "12-34", InvalidInput, "account number"),
    ]
    for bank_bin, number, error, match in cases:
        with pytest.raises(error, match=match), world.engine.begin() as connection:
            add_receiving_account(
                connection,
                world.ledger,
                vendor_id=vendor_id,
                bank_bin=bank_bin,
                account_number=number,
                city=CITY,
                now=world.clock.now(),
            )
    assert row_counts(world.engine) == before


def test_many_receiving_accounts_at_once_match_one_by_one(
    world: World, vendor_with_two_banks: Stall
) -> None:
    vendor_id = vendor_with_two_banks.vendor.id
    world.banks.open_accounts([(AGRIBANK, "7001", "Lò Văn Sơn"), (MB, "7002", "Lò Văn Sơn")])
    links = [AccountLink(vendor_id, AGRIBANK, "7001"), AccountLink(vendor_id, MB, "7002")]
    with world.engine.begin() as connection:
        added = add_receiving_accounts(
            connection, world.ledger, links, city=CITY, now=world.clock.now()
        )
        stored = receiving_accounts_of(connection, vendor_id)
    assert [(a.bank_bin, a.account_number) for a in added] == [(AGRIBANK, "7001"), (MB, "7002")]
    assert stored[2:] == added  # ids, holders and stickers as read back
    assert parse(added[1].static_payload).account == "7002"
    assert added[0].holder_name == "Lò Văn Sơn"


def test_one_bad_account_in_a_bulk_link_writes_none(
    world: World, vendor_with_two_banks: Stall
) -> None:
    vendor_id = vendor_with_two_banks.vendor.id
    world.banks.open_accounts([(AGRIBANK, "7001", "Lò Văn Sơn")])
    before = row_counts(world.engine)
    cases = [
        ([AccountLink(vendor_id, AGRIBANK, "7001")] * 2, Conflict, "already"),
        ([AccountLink(vendor_id, AGRIBANK, "7001"), AccountLink(vendor_id, MB, "404")],
         UnknownAccount, "404"),
        ([AccountLink(vendor_id, AGRIBANK, "7001"), AccountLink(999_999, MB, "7001")],
         NotFound, "999999"),
    ]  # fmt: skip
    for links, error, match in cases:
        with pytest.raises(error, match=match), world.engine.begin() as connection:
            add_receiving_accounts(
                connection, world.ledger, links, city=CITY, now=world.clock.now()
            )
    assert row_counts(world.engine) == before
