"""``marketpay qr``: encode, parse, scan and print VietQR codes (a stable scripting contract).

- ``qr encode`` prints the payload or writes a PNG/SVG; exit 2 on bad input.
- ``qr parse PAYLOAD [--lenient] --json``: one JSON object; exit 0 valid, 1 invalid.
- ``qr scan IMAGE... --json``: one JSON line per image; exit 0 when every image gave a payload.
- ``qr sticker``: an A6 PDF; ``--sheet FILE.csv`` prints a whole market on A4 sheets instead.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

import qr
from merchant_app.cli.errors import UsageProblem

app = typer.Typer(help="VietQR codes: encode, parse, scan, stickers.", no_args_is_help=True)


def _code(bin: str, account: str, **optional: object) -> qr.VietQR:
    try:
        return qr.VietQR.model_validate({"bin": bin, "account": account, **optional})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise UsageProblem(str(exc).replace("\n", "; ")) from exc


@app.command("encode")
def encode(
    bin: str = typer.Option(..., "--bin", help="Bank BIN, 6 digits."),
    account: str = typer.Option(..., "--account", help="Account (or card) number."),
    amount: int | None = typer.Option(None, "--amount", help="Amount in đồng (dynamic code)."),
    purpose: str | None = typer.Option(None, "--purpose", help="Transfer memo (tag 62-08)."),
    bill: str | None = typer.Option(None, "--bill", help="Bill number (tag 62-01)."),
    name: str = typer.Option("", "--name", help="Merchant name (tag 59)."),
    city: str = typer.Option("", "--city", help="Merchant city (tag 60)."),
    service: str = typer.Option(qr.SERVICE_ACCOUNT, "--service", help="QRIBFTTA or QRIBFTTC."),
    fmt: str = typer.Option("text", "--format", help="text, png or svg."),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
) -> int:
    """Build a VietQR payload and print it, or write it as an image."""
    if fmt not in ("text", "png", "svg"):
        raise UsageProblem(f'--format "{fmt}": not text, png or svg')
    code = _code(
        bin, account, amount=amount, purpose=purpose, bill_number=bill,
        merchant_name=name, merchant_city=city, service_code=service,
    )  # fmt: skip
    payload = qr.build(code)
    if fmt == "text":
        if output is None:
            typer.echo(payload)
        else:
            output.write_text(payload + "\n", encoding="utf-8")
        return 0
    if output is None:
        raise UsageProblem(f"--format {fmt} needs -o FILE")
    if fmt == "png":
        output.write_bytes(qr.render_png(payload))
    else:
        output.write_text(qr.render_svg(payload), encoding="utf-8")
    return 0


@app.command("parse")
def parse(
    payload: str = typer.Argument(..., help="The payload text."),
    lenient: bool = typer.Option(False, "--lenient", help="Report problems instead of failing."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> int:
    """Check a payload and print what it says; exit 1 when it is not a valid VietQR code."""
    if lenient:
        result = qr.describe_report(qr.parse_lenient(payload))
    else:
        try:
            result = qr.describe(qr.parse(payload), crc=payload[-4:].upper())
        except qr.PayloadError as exc:
            result = qr.describe_error(exc)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    elif result["valid"]:
        for key, value in result.items():
            typer.echo(f"{key}: {value}")
    else:
        for error in result["errors"]:
            typer.echo(f"invalid: {error['message']}")
    return 0 if result["valid"] else 1


@app.command("scan")
def scan(
    images: Annotated[list[Path], typer.Argument(help="Image files (PNG, JPEG, ...).")],
    as_json: bool = typer.Option(False, "--json", help="One JSON line per image."),
) -> int:
    """Decode the QR codes in each image; exit 1 if any image gave none."""
    all_found = True
    for image in images:
        try:
            report = qr.scan_report(image)
            line: dict[str, object] = {
                "file": str(image), "payloads": report.payloads, "ms": round(report.ms, 1),
            }  # fmt: skip
        except qr.ScanError as exc:
            line = {"file": str(image), "payloads": [], "ms": 0.0, "error": exc.message}
        all_found = all_found and bool(line["payloads"])
        if as_json:
            typer.echo(json.dumps(line, ensure_ascii=False))
        else:
            typer.echo(f"{image}: {', '.join(line['payloads']) or 'no QR code found'}")  # type: ignore[arg-type]
    return 0 if all_found else 1


def _sticker_info(row: dict[str, str]) -> qr.StickerInfo:
    code = _code(row["bin"], row["account"], merchant_name=row.get("name", "")[:25])
    try:
        bank = qr.bank_by_bin(code.bin).short_name
    except qr.UnknownBank as exc:
        raise UsageProblem(exc.message) from exc
    try:
        return qr.StickerInfo(
            payload=qr.build(code), vendor_name=row["name"], bank_short_name=bank,
            account=code.account, market=row.get("market", ""), stall=row.get("stall", ""),
        )  # fmt: skip
    except ValueError as exc:
        raise UsageProblem(str(exc).replace("\n", "; ")) from exc


@app.command("sticker")
def sticker(
    output: Annotated[Path, typer.Option("-o", "--output", help="The PDF to write.")],
    bin: str | None = typer.Option(None, "--bin", help="Bank BIN, 6 digits."),
    account: str | None = typer.Option(None, "--account", help="Account number."),
    name: str | None = typer.Option(None, "--name", help="Vendor name as printed."),
    market: str = typer.Option("", "--market", help="Market name."),
    stall: str = typer.Option("", "--stall", help="Stall number or label."),
    sheet: Annotated[
        Path | None,
        typer.Option("--sheet", help="CSV with columns bin,account,name[,market,stall]."),
    ] = None,
) -> int:
    """Write a printable sticker (A6), or A4 sheets of stickers for every row of --sheet."""
    if sheet is not None:
        with sheet.open(encoding="utf-8", newline="") as handle:
            infos = [_sticker_info(row) for row in csv.DictReader(handle)]
        if not infos:
            raise UsageProblem(f"{sheet}: no rows")
        output.write_bytes(qr.sticker_sheet_pdf(infos))
        return 0
    if bin is None or account is None or name is None:
        raise UsageProblem("qr sticker needs --bin, --account and --name (or --sheet FILE.csv)")
    row = {"bin": bin, "account": account, "name": name, "market": market, "stall": stall}
    output.write_bytes(qr.sticker_pdf(_sticker_info(row)))
    return 0
