"""Signed webhooks: the sender (retries with bounded backoff, delivery log) and the receiver's
check ``verify_webhook``.

Signature: ``X-MarketPay-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``
with ``X-MarketPay-Timestamp`` (unix seconds) and ``X-MarketPay-Event-Id``. The receiver rejects
a bad signature, a timestamp outside ``WEBHOOK_TOLERANCE_S`` and an event id it has already seen
(duplicate deliveries are expected: at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, MutableSet
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select

from payments.clock import Clock
from payments.errors import WebhookRejected
from payments.notifications import FeedEvent, feed_event
from payments.tables import events, webhook_deliveries, webhook_endpoints

SIGNATURE_HEADER = "X-MarketPay-Signature"
TIMESTAMP_HEADER = "X-MarketPay-Timestamp"
EVENT_ID_HEADER = "X-MarketPay-Event-Id"
WEBHOOK_TOLERANCE_S = 300  # a signed request older or newer than this is refused
WEBHOOK_TIMEOUT_S = 5.0  # per HTTP attempt
WEBHOOK_MAX_ATTEMPTS = 5  # then the delivery is logged as gave_up
WEBHOOK_BACKOFF_S = (1.0, 2.0, 4.0, 8.0)  # waits between attempts (bounded: 15 s in all)
WEBHOOK_BATCH_MAX_EVENTS = 200  # events one ``deliver_due`` call sends per endpoint
MAX_WEBHOOK_BODY_BYTES = 64 * 1024

# (url, body, headers, timeout_s) -> HTTP status; raises OSError when nothing answered.
HttpPost = Callable[[str, bytes, Mapping[str, str], float], int]
Sleep = Callable[[float], None]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    seen_ids: MutableSet[str],
) -> str:
    """Check one received webhook; return its event id and remember it in ``seen_ids``.

    Raises ``WebhookRejected`` naming the problem; ``seen_ids`` is unchanged then.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    missing = [
        name
        for name in (SIGNATURE_HEADER, TIMESTAMP_HEADER, EVENT_ID_HEADER)
        if name.lower() not in lowered
    ]
    if missing:
        raise WebhookRejected(f"missing header(s): {', '.join(missing)}")
    raw_timestamp = lowered[TIMESTAMP_HEADER.lower()]
    if not raw_timestamp.isdigit():
        raise WebhookRejected(f"{TIMESTAMP_HEADER} {raw_timestamp!r}: not unix seconds")
    timestamp = int(raw_timestamp)
    skew_s = abs(now.timestamp() - timestamp)
    if skew_s > WEBHOOK_TOLERANCE_S:
        raise WebhookRejected(
            f"timestamp is {skew_s:.0f} s from now (tolerance {WEBHOOK_TOLERANCE_S} s)"
        )
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, lowered[SIGNATURE_HEADER.lower()]):
        raise WebhookRejected("signature does not match the body")
    event_id = lowered[EVENT_ID_HEADER.lower()]
    if _body_event_id(body) != event_id:
        raise WebhookRejected(f"{EVENT_ID_HEADER} {event_id!r} differs from the signed body")
    if event_id in seen_ids:
        raise WebhookRejected(f"event {event_id} was already received (replay or duplicate)")
    seen_ids.add(event_id)
    return event_id


def _body_event_id(body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected("body is not JSON") from exc
    value = parsed.get("event_id") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else ""


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
    """POST with the standard library; an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass(frozen=True)
class DeliveryResult:
    event_id: str
    attempts: int
    delivered: bool


class WebhookSender:
    """Sends each visible event to its vendor's endpoint, logging every attempt."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        post: HttpPost = urllib_post,
        sleep: Sleep,
        max_attempts: int = WEBHOOK_MAX_ATTEMPTS,
    ) -> None:
        if not 1 <= max_attempts <= WEBHOOK_MAX_ATTEMPTS:
            raise ValueError(f"max_attempts must be in 1..{WEBHOOK_MAX_ATTEMPTS}")
        self._engine = engine
        self._clock = clock
        self._post = post
        self._sleep = sleep
        self._max_attempts = max_attempts

    def deliver_due(self, vendor_id: int) -> list[DeliveryResult]:
        """Send the vendor's visible events that no attempt has finished with yet."""
        with self._engine.connect() as connection:
            endpoint = connection.execute(
                select(webhook_endpoints).where(
                    webhook_endpoints.c.vendor_id == vendor_id, webhook_endpoints.c.active
                )
            ).first()
            if endpoint is None:
                return []
            finished = select(webhook_deliveries.c.event_id).where(
                webhook_deliveries.c.endpoint_id == endpoint.id,
                webhook_deliveries.c.status.in_(("delivered", "gave_up")),
            )
            rows = connection.execute(
                select(events)
                .where(
                    events.c.vendor_id == vendor_id,
                    events.c.visible_at <= self._clock.now(),
                    events.c.event_id.not_in(finished),
                )
                .order_by(events.c.seq)
                .limit(WEBHOOK_BATCH_MAX_EVENTS)
            ).all()
            due = [feed_event(row) for row in rows]
        results: list[DeliveryResult] = []
        for event in due:
            for _copy in range(event.deliveries):
                results.append(self._deliver(endpoint.id, endpoint.url, endpoint.secret, event))
        return results

    def deliver_all_due(self) -> list[DeliveryResult]:
        """``deliver_due`` for every vendor with an active endpoint (a periodic job)."""
        with self._engine.connect() as connection:
            vendor_ids = list(
                connection.scalars(
                    select(webhook_endpoints.c.vendor_id)
                    .where(webhook_endpoints.c.active)
                    .order_by(webhook_endpoints.c.vendor_id)
                )
            )
        results: list[DeliveryResult] = []
        for vendor_id in vendor_ids:
            results.extend(self.deliver_due(vendor_id))
        return results

    def _deliver(self, endpoint_id: int, url: str, secret: str, event: FeedEvent) -> DeliveryResult:
        body = json.dumps(event.as_json(), ensure_ascii=False, sort_keys=True).encode()
        assert len(body) <= MAX_WEBHOOK_BODY_BYTES, len(body)
        for attempt in range(1, self._max_attempts + 1):
            timestamp = int(self._clock.now().timestamp())
            headers = signed_headers(secret, event.event_id, timestamp, body)
            status, error = self._attempt(url, body, headers)
            delivered = status is not None and 200 <= status < 300
            last = attempt == self._max_attempts
            outcome = "delivered" if delivered else ("gave_up" if last else "failed")
            self._log(endpoint_id, event.event_id, attempt, outcome, status, error)
            if delivered:
                return DeliveryResult(event.event_id, attempt, True)
            if not last:
                self._sleep(WEBHOOK_BACKOFF_S[min(attempt - 1, len(WEBHOOK_BACKOFF_S) - 1)])
        return DeliveryResult(event.event_id, self._max_attempts, False)

    def _attempt(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, str]:
        try:
            status = self._post(url, body, headers, WEBHOOK_TIMEOUT_S)
        except OSError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200]
        return status, "" if 200 <= status < 300 else f"HTTP {status}"

    def _log(
        self,
        endpoint_id: int,
        event_id: str,
        attempt: int,
        status: str,
        http_status: int | None,
        error: str,
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(webhook_deliveries).values(
                    event_id=event_id,
                    endpoint_id=endpoint_id,
                    attempt=attempt,
                    status=status,
                    http_status=http_status,
                    error=error,
                    created_at=self._clock.now(),
                )
            )
