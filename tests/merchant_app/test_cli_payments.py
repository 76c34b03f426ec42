"""``marketpay pay --photo`` and ``marketpay switch settlement`` on each backend."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine

from merchant_app.cli import main
from payments.clock import ManualClock
from payments.settlement import BUSINESS_TZ
from qr import render_png
from tests.payments.world import (
    MB,
    START,
    VIETCOMBANK,
    World,
    balances,
    make_buyer,
    make_vendor,
    make_world,
)


@pytest.fixture
def world(db: Engine) -> World:
    return make_world(db, ManualClock(START))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path / "data"))


def test_pay_from_a_photo_then_settle_the_day(
    env: None, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stall = make_vendor(world)
    buyer = make_buyer(world, VIETCOMBANK, "0011001234567")
    photo = tmp_path / "sticker.png"
    photo.write_bytes(render_png(stall.accounts[1].static_payload))
    code = main(
        [
            "pay",
            "--photo",
            str(photo),
            "--from",
            "970436:0011001234567",
            "--amount",
            "25000",
            "--json",
        ]
    )
    assert code == 0
    receipt = json.loads(capsys.readouterr().out)
    assert receipt["status"] == "completed"
    assert receipt["payee_name"] == "NGUYEN THI HOA"
    assert balances(world, buyer, (MB, stall.accounts[1].account_number)) == [1_975_000, 25_000]

    day = datetime.fromisoformat(receipt["at"]).astimezone(BUSINESS_TZ).date().isoformat()
    out = tmp_path / "settlement"
    assert main(["switch", "settlement", "--date", day, "--out", str(out)]) == 0
    with (out / f"net_positions_{day}.csv").open() as handle:
        nets = {row["bank_bin"]: int(row["net_position_dong"]) for row in csv.DictReader(handle)}
    assert nets[MB] == 25_000
    assert nets[VIETCOMBANK] == -25_000
    assert sum(nets.values()) == 0
    with (out / f"settlement_{day}_{MB}.csv").open() as handle:
        (line,) = list(csv.DictReader(handle))
    assert (line["direction"], line["amount_dong"]) == ("receive", "25000")


def test_pay_errors_are_one_line_and_exit_2(
    env: None, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stall = make_vendor(world)
    buyer = make_buyer(world, VIETCOMBANK, "0011001234567")
    photo = tmp_path / "sticker.png"
    photo.write_bytes(render_png(stall.accounts[1].static_payload))
    assert main(["pay", "--photo", str(photo), "--from", "0011001234567"]) == 2
    assert "BIN:ACCOUNT" in capsys.readouterr().err
    assert main(["pay", "--photo", str(photo), "--from", "970436:0011001234567"]) == 2
    assert "amount_required" in capsys.readouterr().err
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    assert (
        main(["pay", "--photo", str(blank), "--from", "970436:0011001234567", "--amount", "1000"])
        == 2
    )
    assert "no QR code" in capsys.readouterr().err
    assert balances(world, buyer) == [2_000_000]
    assert main(["switch", "settlement", "--date", "29/11/2026", "--out", str(tmp_path)]) == 2
