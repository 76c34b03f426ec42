"""The receiver's check: HMAC-SHA256 over timestamp + body, fresh timestamp, event id once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from payments.errors import WebhookRejected
from payments.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_TOLERANCE_S,
    signed_headers,
    verify_webhook,
)

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 5, 1, 8, tzinfo=UTC)
BODY = json.dumps({"event_id": "evt_1", "amount_dong": 25000}).encode()


def _headers(timestamp: int | None = None, body: bytes = BODY) -> dict[str, str]:
    stamp = int(NOW.timestamp()) if timestamp is None else timestamp
    return signed_headers(SECRET, "evt_1", stamp, body)


def test_good_webhook_is_accepted_once() -> None:
    seen: set[str] = set()
    assert verify_webhook(SECRET, _headers(), BODY, NOW, seen) == "evt_1"
    assert seen == {"evt_1"}
    with pytest.raises(WebhookRejected, match="already received"):
        verify_webhook(SECRET, _headers(), BODY, NOW, seen)
    assert seen == {"evt_1"}


def test_tampered_body_is_rejected_and_not_remembered() -> None:
    seen: set[str] = set()
    tampered = BODY.replace(b"25000", b"95000")
    with pytest.raises(WebhookRejected, match="signature"):
        verify_webhook(SECRET, _headers(), tampered, NOW, seen)
    assert seen == set()


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(WebhookRejected, match="signature"):
        verify_webhook("other", _headers(), BODY, NOW, set())


def test_stale_timestamp_is_rejected_even_with_a_valid_signature() -> None:
    old = int(NOW.timestamp()) - WEBHOOK_TOLERANCE_S - 1
    with pytest.raises(WebhookRejected, match="tolerance"):
        verify_webhook(SECRET, _headers(old), BODY, NOW, set())


def test_timestamp_is_part_of_the_signature() -> None:
    headers = _headers()
    headers[TIMESTAMP_HEADER] = str(int(NOW.timestamp()) + 1)
    with pytest.raises(WebhookRejected, match="signature"):
        verify_webhook(SECRET, headers, BODY, NOW, set())


def test_missing_headers_and_mismatched_event_id_are_named() -> None:
    headers = _headers()
    del headers[SIGNATURE_HEADER]
    with pytest.raises(WebhookRejected, match="X-MarketPay-Signature"):
        verify_webhook(SECRET, headers, BODY, NOW, set())
    other_body = json.dumps({"event_id": "evt_2"}).encode()
    with pytest.raises(WebhookRejected, match="differs"):
        verify_webhook(SECRET, _headers(body=other_body), other_body, NOW, set())
