"""``/v/feed/stream``: the vendor's incoming payments as Server-Sent Events.

The database is the source of truth (``payments.notifications.events_since``), polled every
``FEED_POLL_S``, so the feed works the same whichever app server the payment went through. The
browser's EventSource sends ``Last-Event-ID`` when it reconnects; the stream resumes after it and
never repeats or skips an event. A stream ends after ``FEED_STREAM_MAX_S`` (the browser
reconnects at once), which bounds how long one request holds a worker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from merchant_app.clock import Clock
from merchant_app.deps import ClockDep, EngineDep
from merchant_app.pages.security import VendorUser
from payments.notifications import FeedEvent, events_since

router = APIRouter(prefix="/v", include_in_schema=False)

FEED_POLL_S = 0.5
FEED_STREAM_MAX_S = 300
FEED_RETRY_MS = 1000
FEED_KEEPALIVE_S = 15
LAST_EVENT_ID_MAX_CHARS = 20


@router.get("/feed/stream")
async def feed_stream(
    request: Request, user: VendorUser, engine: EngineDep, clock: ClockDep
) -> StreamingResponse:
    assert user.vendor_id is not None
    after = _last_seq(request.headers.get("last-event-id", ""))
    return StreamingResponse(
        _events(request, engine, clock, user.vendor_id, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _last_seq(header: str) -> int:
    if header and len(header) <= LAST_EVENT_ID_MAX_CHARS and header.isdigit():
        return int(header)
    return 0


async def _events(
    request: Request,
    engine: Engine,
    clock: Clock,
    vendor_id: int,
    after_seq: int,
) -> AsyncIterator[str]:
    yield f"retry: {FEED_RETRY_MS}\n\n"
    loop = asyncio.get_running_loop()
    started = loop.time()
    quiet_since = started
    while loop.time() - started < FEED_STREAM_MAX_S:
        if await request.is_disconnected():
            return
        batch = await run_in_threadpool(_read, engine, vendor_id, after_seq, clock)
        for event in batch:
            after_seq = event.seq
            yield _frame(event)
        if batch:
            quiet_since = loop.time()
        elif loop.time() - quiet_since > FEED_KEEPALIVE_S:
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await asyncio.sleep(FEED_POLL_S)


def _read(engine: Engine, vendor_id: int, after_seq: int, clock: Clock) -> list[FeedEvent]:
    # A read-only poll must not take SQLite's write lock (the engine's default BEGIN IMMEDIATE).
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        return events_since(connection, vendor_id, after_seq=after_seq, now=clock.now())


def _frame(event: FeedEvent) -> str:
    # Only what the vendor's screen needs; the buyer's name is not sent.
    body = json.dumps(
        {
            "amount_dong": event.amount_dong,
            "announcement": event.announcement,
            "spoken": event.spoken,
            "at": event.created_at.isoformat(),
        },
        ensure_ascii=False,
    )
    return f"id: {event.seq}\nevent: payment\ndata: {body}\n\n"
