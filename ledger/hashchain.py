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
    # Exactly json.dumps(fields, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
    # spelled out because this runs once per transfer on the hot path (a test pins the two
    # together).
    meta = (
        json.dumps(dict(metadata), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        if metadata
        else "{}"
    )
    text = (
        f"[{ENCODING_VERSION},{int(id)},{int(debit_account_id)},{int(credit_account_id)},"
        f"{int(amount_dong)},{int(pending_id or 0)},{int(timeout_s)},{int(flags)},"
        f"{_json_string(reference)},{_json_string(memo)},{meta},{int(timestamp_ns)}]"
    )
    return text.encode()


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
