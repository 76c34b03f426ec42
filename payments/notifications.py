"""Payment notifications: announcement text, feed events with stable ids, in-process pub/sub.

Every credit to a vendor becomes one ``pay_events`` row (written in the payment's transaction)
with a stable ``event_id`` derived from the client transfer id, so retries and duplicate bank
notifications never create a second event. The feed reads rows in ``seq`` order; ``EventBus``
only wakes the waiting feed readers of a vendor, the database stays the source of truth.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from num2words import num2words
from sqlalchemy import Connection, select

from payments.clock import as_utc
from payments.tables import events

MAX_SPOKEN_DONG = 999_999_999_999_999  # up to "nghìn tỷ" groups; far above any payment limit
FEED_PAGE_MAX_EVENTS = 500
SPOKEN_CACHE_MAX_ENTRIES = 10_000  # prices repeat: read each amount aloud once
# Group names for 10^3, 10^6, 10^9, 10^12 (Northern usage: "nghìn").
_GROUP_UNITS = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ")


def format_dong(amount_dong: int) -> str:
    """``25000`` -> ``"25.000 đồng"`` (Vietnamese thousands separator)."""
    return f"{amount_dong:,}".replace(",", ".") + " đồng"


def announcement(amount_dong: int) -> str:
    return f"Đã nhận {format_dong(amount_dong)}"


@functools.lru_cache(maxsize=SPOKEN_CACHE_MAX_ENTRIES)
def spoken_dong(amount_dong: int) -> str:
    """The amount read aloud: ``1005000`` -> ``"một triệu không trăm lẻ năm nghìn đồng"``.

    num2words reads each three-digit group correctly but drops the "không trăm" that a
    Vietnamese reader says for an inner group below 100 (it reads 1,005,000 as "một triệu năm
    nghìn", easily heard as 1,500,000), so groups are read by num2words and joined here.
    """
    if not 0 < amount_dong <= MAX_SPOKEN_DONG:
        raise ValueError(f"amount_dong must be in 1..{MAX_SPOKEN_DONG}, got {amount_dong}")
    groups: list[int] = []
    rest = amount_dong
    while rest:
        rest, group = divmod(rest, 1000)
        groups.append(group)
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words.append(_read_group(group, leading=index == top))
        if _GROUP_UNITS[index]:
            words.append(_GROUP_UNITS[index])
    return " ".join(words) + " đồng"


def _read_group(group: int, *, leading: bool) -> str:
    assert 0 < group < 1000, group
    text = str(num2words(group, lang="vi"))
    if leading or group >= 100:
        return text
    if group < 10:
        return f"không trăm lẻ {text}"
    return f"không trăm {text}"


def spoken_announcement(amount_dong: int) -> str:
    return f"Đã nhận {spoken_dong(amount_dong)}"


def event_id_for(ledger_transfer_id: int) -> str:
    """The stable event id of the credit made by the payment whose last leg (the payee's) is
    ``ledger_transfer_id``: unique as the ledger id is, the same for every retry, and in the
    order of time-ordered ledger ids (fixed-width hex), so ``pay_events``' unique index on it is
    appended to."""
    assert 0 < ledger_transfer_id < 2**63
    return f"evt_{ledger_transfer_id:016x}"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    seq: int
    event_id: str
    vendor_id: int
    amount_dong: int
    announcement: str
    spoken: str
    created_at: datetime
    visible_at: datetime
    deliveries: int

    def as_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "vendor_id": self.vendor_id,
            "amount_dong": self.amount_dong,
            "announcement": self.announcement,
            "spoken": self.spoken,
            "created_at": self.created_at.isoformat(),
        }


def event_row(
    *,
    ledger_transfer_id: int,
    vendor_id: int,
    credit_id: int,
    amount_dong: int,
    created_at: datetime,
    delay_s: int,
    deliveries: int,
) -> dict[str, object]:
    """The ``pay_events`` row for one vendor credit (bulk-inserted by the switch)."""
    return {
        "event_id": event_id_for(ledger_transfer_id),
        "vendor_id": vendor_id,
        "credit_id": credit_id,
        "amount_dong": amount_dong,
        "announcement": announcement(amount_dong),
        "spoken": spoken_announcement(amount_dong),
        "created_at": created_at,
        "visible_at": created_at + timedelta(seconds=delay_s),
        "deliveries": deliveries,
    }


def events_since(
    connection: Connection,
    vendor_id: int,
    *,
    after_seq: int,
    now: datetime,
    limit: int = FEED_PAGE_MAX_EVENTS,
) -> list[FeedEvent]:
    """The vendor's events after ``after_seq`` that are visible at ``now``, oldest first.

    A delayed notification stays invisible until its time; events behind it wait too, so a
    reader that resumes from the last seq it saw never skips one.
    """
    limit = max(1, min(limit, FEED_PAGE_MAX_EVENTS))
    rows = connection.execute(
        select(events)
        .where(events.c.vendor_id == vendor_id, events.c.seq > after_seq)
        .order_by(events.c.seq)
        .limit(limit)
    ).all()
    visible: list[FeedEvent] = []
    for row in rows:
        if as_utc(row.visible_at) > now:
            break
        visible.append(feed_event(row))
    return visible


def feed_event(row: object) -> FeedEvent:
    """A ``pay_events`` row as a ``FeedEvent``."""
    return FeedEvent(
        seq=row.seq,  # type: ignore[attr-defined]
        event_id=row.event_id,  # type: ignore[attr-defined]
        vendor_id=row.vendor_id,  # type: ignore[attr-defined]
        amount_dong=row.amount_dong,  # type: ignore[attr-defined]
        announcement=row.announcement,  # type: ignore[attr-defined]
        spoken=row.spoken,  # type: ignore[attr-defined]
        created_at=as_utc(row.created_at),  # type: ignore[attr-defined]
        visible_at=as_utc(row.visible_at),  # type: ignore[attr-defined]
        deliveries=row.deliveries,  # type: ignore[attr-defined]
    )


class EventBus:
    """In-process pub/sub: ``publish(vendor_ids)`` wakes every feed reader of those vendors
    and calls every listener (e.g. the app's webhook sender) with them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[int, set[threading.Event]] = {}
        self._listeners: list[Callable[[set[int]], None]] = []

    def listen(self, listener: Callable[[set[int]], None]) -> None:
        """Call ``listener(vendor_ids)`` after each publish; it must return quickly."""
        with self._lock:
            self._listeners.append(listener)

    def subscribe(self, vendor_id: int) -> threading.Event:
        wakeup = threading.Event()
        with self._lock:
            self._waiters.setdefault(vendor_id, set()).add(wakeup)
        return wakeup

    def unsubscribe(self, vendor_id: int, wakeup: threading.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(vendor_id)
            if waiters is not None:
                waiters.discard(wakeup)
                if not waiters:
                    del self._waiters[vendor_id]

    def publish(self, vendor_ids: Sequence[int]) -> None:
        wanted = set(vendor_ids)
        if not wanted:
            return
        with self._lock:
            for vendor_id in wanted:
                for wakeup in self._waiters.get(vendor_id, ()):
                    wakeup.set()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(wanted)
