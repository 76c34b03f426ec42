"""Name inquiries are rate-limited per caller so the directory cannot be scraped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from payments.clock import ManualClock
from payments.errors import RateLimited
from payments.ratelimit import RateLimiter


def test_burst_then_refused_then_refilled_per_caller() -> None:
    clock = ManualClock(datetime(2026, 5, 1, 8, tzinfo=UTC))
    limiter = RateLimiter(clock, burst=3, refill_per_s=0.5)
    for _ in range(3):
        limiter.take("phone-a")
    with pytest.raises(RateLimited, match="phone-a"):
        limiter.take("phone-a")
    limiter.take("phone-b")  # another caller has its own bucket
    clock.advance(2)  # one token back
    limiter.take("phone-a")
    with pytest.raises(RateLimited):
        limiter.take("phone-a")


def test_tracked_callers_are_bounded() -> None:
    clock = ManualClock(datetime(2026, 5, 1, 8, tzinfo=UTC))
    limiter = RateLimiter(clock, burst=1, refill_per_s=0.001, max_callers=2)
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")  # forgets "a", the least recently seen
    limiter.take("a")  # so "a" starts over with a full bucket
    with pytest.raises(RateLimited):
        limiter.take("c")
