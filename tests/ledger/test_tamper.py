"""Tamper evidence: writing around the service is caught by verify (and, on PostgreSQL,
refused by the triggers in the first place)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ledger import Ledger, Transfer
from merchant_app.cli import main
from merchant_app.migrate import upgrade_to_head
from merchant_app.schema import all_metadata
from tests.ledger.conftest import BANK, BUYER, SPARE, VENDOR, TestClock, world_accounts


def _tamper(db: Engine, statement: str) -> None:
    """Write around the ledger; on PostgreSQL as the superuser with triggers switched off."""
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(statement))


def _some_transfers(ledger: Ledger) -> None:
    batch = [
        Transfer(1, BUYER, VENDOR, 5_000),
        Transfer(2, BANK, SPARE, 70),
        Transfer(3, BANK, SPARE, 9),
    ]
    assert ledger.create_transfers(batch) == ["ok"] * 3


def test_changing_a_stored_amount_is_found_and_named(db: Engine, world: Ledger) -> None:
    _some_transfers(world)
    _tamper(db, "UPDATE ledger_transfers SET amount_dong = 7 WHERE id = 2")
    found = world.verify()
    items = {(v.check, v.item) for v in found}
    assert ("hash_chain", "transfer 2") in items
    assert ("balance_equals_transfers", f"account {SPARE} (spare)") in items
    assert ("balance_equals_transfers", f"account {BANK} (bank:book)") in items


def test_rewriting_a_row_with_a_fresh_hash_breaks_the_next_link(db: Engine, world: Ledger) -> None:
    _some_transfers(world)
    forged = "a" * 64
    _tamper(db, f"UPDATE ledger_transfers SET memo = 'forged', hash = '{forged}' WHERE id = 2")
    checks = {(v.check, v.item) for v in world.verify()}
    assert ("hash_chain", "transfer 2") in checks
    assert ("hash_chain", "transfer 3") in checks  # its prev_hash no longer matches


def test_deleting_a_transfer_is_found(db: Engine, world: Ledger) -> None:
    _some_transfers(world)
    _tamper(db, "DELETE FROM ledger_transfers WHERE id = 3")
    items = {(v.check, v.item) for v in world.verify()}
    assert ("hash_chain", "chain head") in items
    assert ("balance_equals_transfers", f"account {SPARE} (spare)") in items


def test_cli_verify_exits_1_and_names_the_broken_item(
    db: Engine,
    db_url: str,
    world: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    _some_transfers(world)
    assert main(["ledger", "verify"]) == 0
    assert "ok" in capsys.readouterr().out
    _tamper(db, "UPDATE ledger_transfers SET reference = 'x' WHERE id = 1")
    assert main(["ledger", "verify"]) == 1
    assert "transfer 1" in capsys.readouterr().out
    assert main(["ledger", "verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {"check": "hash_chain", "item": "transfer 1"}.items() <= report["violations"][0].items()


def test_flagged_limit_is_recorded_as_a_violation(db: Engine, world: Ledger) -> None:
    _tamper(db, f"UPDATE ledger_accounts SET debits_posted = 2000000 WHERE id = {BUYER}")
    checks = {v.check for v in world.verify() if v.item.startswith(f"account {BUYER} ")}
    assert checks == {"flagged_limits", "balance_equals_transfers"}


@pytest.mark.parametrize("how", ["create_all", "migration"])
def test_postgres_triggers_refuse_writes_around_the_service(pg_engine: Engine, how: str) -> None:
    if how == "migration":
        with pg_engine.begin() as conn:
            for metadata in all_metadata():
                metadata.drop_all(conn)
        upgrade_to_head(pg_engine)
    ledger = Ledger(pg_engine, clock=TestClock())
    assert set(ledger.create_accounts(world_accounts())) == {"ok"}
    assert ledger.create_transfers([Transfer(1, BANK, BUYER, 100)]) == ["ok"]
    refused = [
        "UPDATE ledger_transfers SET amount_dong = 1 WHERE id = 1",
        "DELETE FROM ledger_transfers WHERE id = 1",
        f"UPDATE ledger_accounts SET debits_posted = 101 WHERE id = {BUYER}",
        f"UPDATE ledger_accounts SET credits_posted = -1 WHERE id = {SPARE}",
    ]
    for statement in refused:
        with (
            pytest.raises(DBAPIError, match=r"append-only|exceed|negative"),
            pg_engine.begin() as conn,
        ):
            conn.execute(text(statement))
    assert ledger.verify() == []
    assert ledger.get_transfers([1])[0].amount_dong == 100
