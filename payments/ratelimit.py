"""Token buckets per caller, so the switch's name inquiry cannot be used to scrape accounts."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from payments.clock import Clock
from payments.errors import RateLimited

INQUIRY_BURST = 20  # inquiries a caller may make at once
INQUIRY_REFILL_PER_S = 0.5  # then one every two seconds
MAX_TRACKED_CALLERS = 100_000  # memory bound: the least recently seen caller is forgotten


@dataclass
class _Bucket:
    tokens: float
    updated_s: float


class RateLimiter:
    """One token bucket per caller id; ``take(caller)`` raises ``RateLimited`` when empty."""

    def __init__(
        self,
        clock: Clock,
        *,
        burst: int = INQUIRY_BURST,
        refill_per_s: float = INQUIRY_REFILL_PER_S,
        max_callers: int = MAX_TRACKED_CALLERS,
    ) -> None:
        if burst < 1 or refill_per_s <= 0 or max_callers < 1:
            raise ValueError("burst, refill_per_s and max_callers must be positive")
        self._clock = clock
        self._burst = burst
        self._refill_per_s = refill_per_s
        self._max_callers = max_callers
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, caller: str) -> None:
        now_s = self._clock.now().timestamp()
        bucket = self._buckets.pop(caller, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self._burst), updated_s=now_s)
        elapsed_s = max(0.0, now_s - bucket.updated_s)
        bucket.tokens = min(float(self._burst), bucket.tokens + elapsed_s * self._refill_per_s)
        bucket.updated_s = now_s
        self._buckets[caller] = bucket
        while len(self._buckets) > self._max_callers:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            wait_s = (1.0 - bucket.tokens) / self._refill_per_s
            raise RateLimited(f"too many name inquiries from {caller!r}; retry in {wait_s:.0f} s")
        bucket.tokens -= 1.0
