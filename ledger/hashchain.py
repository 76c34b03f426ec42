"""Tamper evidence: each transfer's hash covers its canonical encoding and the previous hash.

Canonical encoding (version 1, documented in docs/LEDGER.md): the UTF-8 bytes of the JSON array

    [1, id, debit_account_id, credit_account_id, amount_dong, pending_id or 0, timeout_s,
     flags, reference, memo, metadata, timestamp_ns]

written with ``separators=(",", ":")``, ``sort_keys=True`` (for metadata) and
``ensure_ascii=False``. ``hash = blake2b(prev_hash_ascii_hex + b"\\n" + encoding,
digest_size=32).hexdigest()``. The first transfer's ``prev_hash`` is 64 zeros. Chain order is
ledger timestamp order (timestamps are unique and strictly increasing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from ledger.model import ID_MAX, LedgerError

ENCODING_VERSION = 1
_json_string = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
HASH_HEX_CHARS = 64
_blake2b = hashlib.blake2b


def canonical_encoding(
    *,
    id: int,
    debit_account_id: int,
    credit_account_id: int,
    amount_dong: int,
    pending_id: int | None,
    timeout_s: int,
    flags: int,
    reference: str,
    memo: str,
    metadata: Mapping[str, object],
    timestamp_ns: int,
) -> bytes:
    return encode(
        int(id), int(debit_account_id), int(credit_account_id), int(amount_dong),
        int(pending_id or 0), int(timeout_s), int(flags), reference, memo,
        metadata_json(metadata), int(timestamp_ns),
    )  # fmt: skip


def metadata_json(metadata: Mapping[str, object]) -> str:
    """The metadata's canonical JSON (keys sorted, no spaces, UTF-8 text)."""
    if not metadata:
        return "{}"
    return json.dumps(dict(metadata), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def encode(
    id: int, debit_account_id: int, credit_account_id: int, amount_dong: int, pending_id: int,
    timeout_s: int, flags: int, reference: str, memo: str, metadata_json: str, timestamp_ns: int,
) -> bytes:  # fmt: skip
    """``canonical_encoding`` for plain ints (pending_id 0 for none) and metadata already as
    canonical JSON: the hot path, once per transfer.

    Exactly json.dumps(fields, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
    spelled out for speed (a test pins the two together)."""
    return (
        f"[{ENCODING_VERSION},{id},{debit_account_id},{credit_account_id},{amount_dong},"
        f"{pending_id},{timeout_s},{flags},{_json_string(reference)},{_json_string(memo)},"
        f"{metadata_json},{timestamp_ns}]"
    ).encode()


def link(
    prev_hash: str, id: int, debit_account_id: int, credit_account_id: int, amount_dong: int,
    pending_id: int, timeout_s: int, flags: int, reference: str, memo: str, metadata_json: str,
    timestamp_ns: int,
) -> str:  # fmt: skip
    """``chain_hash(prev_hash, encode(...))`` in one step: the write path, once per transfer.

    The same bytes are hashed: ``prev_hash`` is ASCII hex, so encoding it together with the
    canonical text gives its ASCII bytes, the newline, then the encoding (a test pins the two
    together). One f-string and one ``encode`` instead of three byte strings joined."""
    return _blake2b(
        f"{prev_hash}\n[{ENCODING_VERSION},{id},{debit_account_id},{credit_account_id},"
        f"{amount_dong},{pending_id},{timeout_s},{flags},{_json_string(reference)},"
        f"{_json_string(memo)},{metadata_json},{timestamp_ns}]".encode(),
        digest_size=32,
    ).hexdigest()


def chain_hash(prev_hash: str, encoding: bytes) -> str:
    assert len(prev_hash) == HASH_HEX_CHARS, prev_hash
    digest = hashlib.blake2b(prev_hash.encode("ascii") + b"\n" + encoding, digest_size=32)
    return digest.hexdigest()


def derive_id(key: str) -> int:
    """A deterministic id in 1..2**63-1 from a string key (blake2b), for idempotency keys."""
    if not isinstance(key, str) or key == "":
        raise LedgerError("derive_id needs a non-empty string key")
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8, person=b"marketpay-id").digest()
    value = int.from_bytes(digest, "big") & ID_MAX
    return value or 1
