"""The bank directory: BINs of Vietnamese banks and wallets, from the shipped ``banks.csv``.

Source: the public VietQR bank list and the State Bank's BIN list (see the reference notes).
Reading package data is not I/O in the sense of the purity rule: it is our own code's data.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from pydantic import BaseModel, ConfigDict

from qr.errors import UnknownBank
from qr.text import strip_diacritics


class Bank(BaseModel):
    model_config = ConfigDict(frozen=True)

    bin: str
    code: str
    short_name: str
    name: str


@functools.cache
def _load() -> tuple[Bank, ...]:
    text = resources.files("qr").joinpath("banks.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        Bank(bin=r["bin"], code=r["code"], short_name=r["short_name"], name=r["name"]) for r in rows
    )


@functools.cache
def _by_bin() -> dict[str, Bank]:
    table: dict[str, Bank] = {}
    for bank in _load():
        table.setdefault(bank.bin, bank)
    return table


def banks() -> list[Bank]:
    """Every bank in the directory, in file order."""
    return list(_load())


def bank_by_bin(bin: str) -> Bank:
    """The bank with this 6-digit BIN; ``UnknownBank`` names the BIN otherwise."""
    bank = _by_bin().get(bin)
    if bank is None:
        raise UnknownBank(
            f'BIN "{bin}": not in the bank directory ({len(_by_bin())} known BINs)', tag="38"
        )
    return bank


def bank_or_none(bin: str) -> Bank | None:
    return _by_bin().get(bin)


def _fold(text: str) -> str:
    return strip_diacritics(text).casefold().strip()


def find_bank(query: str) -> list[Bank]:
    """Banks whose code or short name equals ``query``, else whose short name or full name
    contains it; case and Vietnamese diacritics are ignored ("vietinbank", "Ngoai Thuong")."""
    needle = _fold(query)
    if not needle:
        return []
    exact = [b for b in _load() if needle in (_fold(b.code), _fold(b.short_name))]
    if exact:
        return exact
    return [b for b in _load() if needle in _fold(b.short_name) or needle in _fold(b.name)]
