"""The canonical encoding is exactly the documented JSON (docs/LEDGER.md), for awkward text."""

from __future__ import annotations

import json

import pytest

from ledger.hashchain import canonical_encoding, chain_hash, encode, link, metadata_json
from ledger.model import ZERO_HASH

AWKWARD = ["", "Đã nhận 25.000 đồng", 'quote " and \\ backslash', "tab\tnew\nline", "\x00\u2028😀"]


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("metadata", [{}, {"b": [1, "ư"], "a": {"z": None, "y": 1.5}}])
def test_encoding_is_the_documented_json(text: str, metadata: dict[str, object]) -> None:
    fields = dict(
        id=7, debit_account_id=1, credit_account_id=2, amount_dong=25_000, pending_id=None,
        timeout_s=0, flags=2, reference=text, memo=text[::-1], metadata=metadata,
        timestamp_ns=1_777_000_000_123_456_789,
    )  # fmt: skip
    reference = json.dumps(
        [1, 7, 1, 2, 25_000, 0, 0, 2, text, text[::-1], metadata, 1_777_000_000_123_456_789],
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    ).encode()
    assert canonical_encoding(**fields) == reference  # type: ignore[arg-type]


def test_hash_depends_on_the_previous_hash_and_every_byte() -> None:
    encoding = b'[1,7,1,2,25000,0,0,0,"","",{},1]'
    first = chain_hash(ZERO_HASH, encoding)
    assert len(first) == 64
    assert chain_hash(first, encoding) != first
    assert chain_hash(ZERO_HASH, encoding.replace(b"25000", b"25001")) != first


@pytest.mark.parametrize("text", AWKWARD)
def test_write_path_link_hashes_the_same_bytes_as_chain_hash(text: str) -> None:
    prev = chain_hash(ZERO_HASH, b"[]")
    meta = metadata_json({"b": [1, "ư"], "a": text})
    fields = (7, 1, 2, 25_000, 0, 3, 2, text, text[::-1], meta, 1_777_000_000_123_456_789)
    assert link(prev, *fields) == chain_hash(prev, encode(*fields))
