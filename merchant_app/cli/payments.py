"""``marketpay switch settlement --date D --out DIR`` and
``marketpay pay --photo IMAGE --from BIN:ACCOUNT [--amount N] [--json]``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from merchant_app.cli.errors import UsageProblem
from merchant_app.clock import SystemClock
from merchant_app.database import check_database, make_engine
from merchant_app.settings import load_settings
from merchant_app.wiring import build_payments
from payments.buyer import BuyerPhone
from payments.errors import PaymentError
from payments.notifications import format_dong
from payments.settlement import settlement_for_day, write_settlement_files

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # a phone photo; anything bigger is not one

switch_app = typer.Typer(help="The NAPAS-like switch.", no_args_is_help=True)


@switch_app.command("settlement")
def settlement(
    day: Annotated[str, typer.Option("--date", help="Business day (UTC+7), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the CSV files.")],
) -> int:
    """Write one settlement CSV per bank and net_positions_<date>.csv (they sum to zero)."""
    try:
        settlement_day = date.fromisoformat(day)
    except ValueError as exc:
        raise UsageProblem(f"--date {day!r}: expected YYYY-MM-DD") from exc
    engine = make_engine(load_settings().effective_database_url)
    try:
        check_database(engine)
        with engine.connect() as connection:
            result = settlement_for_day(connection, settlement_day)
    finally:
        engine.dispose()
    paths = write_settlement_files(result, out)
    for position in result.positions:
        typer.echo(
            f"{position.bank_bin} {position.bank_name}: {position.transfers} transfers, "
            f"net {position.net_position_dong:+d} đồng"
        )
    typer.echo(f"wrote {len(paths)} files to {out}")
    return 0


def register(app: typer.Typer) -> None:
    app.add_typer(switch_app, name="switch")
    app.command("pay")(pay)


def pay(
    photo: Annotated[Path, typer.Option("--photo", help="Photo of the QR code (PNG or JPEG).")],
    payer: Annotated[str, typer.Option("--from", help="Your account as BIN:ACCOUNT.")],
    amount: int | None = typer.Option(None, "--amount", help="Đồng; needed for a sticker."),
    as_json: bool = typer.Option(False, "--json", help="Print the receipt as JSON."),
) -> int:
    """Scan a QR photo, check the payee's name, pay, and print the receipt."""
    payer_bin, _, payer_account = payer.partition(":")
    if not payer_bin or not payer_account:
        raise UsageProblem(f"--from {payer!r}: expected BIN:ACCOUNT, e.g. 970436:0011001234567")
    if not photo.is_file():
        raise UsageProblem(f"--photo {photo}: no such file")
    if photo.stat().st_size > MAX_PHOTO_BYTES:
        raise UsageProblem(f"--photo {photo}: larger than {MAX_PHOTO_BYTES} bytes")
    engine = make_engine(load_settings().effective_database_url)
    try:
        check_database(engine)
        world = build_payments(engine, SystemClock())
        phone = BuyerPhone(world.switch, payer_bin=payer_bin, payer_account=payer_account)
        try:
            quote = phone.read(phone.scan(photo.read_bytes()))
            receipt = phone.pay(quote, amount_dong=amount)
        except PaymentError as exc:
            raise UsageProblem(f"{exc.code}: {exc}") from exc
        finally:
            world.drain()  # the vendor's webhook goes out before the command exits
            world.close()
    finally:
        engine.dispose()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "status": receipt.status.value,
                    "client_transfer_id": receipt.client_transfer_id,
                    "switch_ref": receipt.switch_ref,
                    "amount_dong": receipt.amount_dong,
                    "payee_name": receipt.payee_name,
                    "bank": receipt.bank_name,
                    "attempts": receipt.attempts,
                    "at": receipt.at.isoformat() if receipt.at else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(
            f"Paid {format_dong(receipt.amount_dong)} to {receipt.payee_name} "
            f"({receipt.bank_name}); ref {receipt.switch_ref}"
        )
    return 0
