"""``/api/v1/vendors/me/...``: a vendor's own accounts, payment requests, credits, webhook and
live feed. Every route takes the vendor from its API token (``CurrentVendor``) and only ever
reads or writes that vendor's rows; the feed of another vendor is 403.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, StrictInt, StrictStr
from sqlalchemy import Engine, insert, select, update
from starlette.concurrency import run_in_threadpool

from merchant_app.api.contract import ID_MAX, INTEGRAL, Id, IdPath, errors
from merchant_app.api.payments_deps import WorldDep
from merchant_app.auth import CurrentVendor
from merchant_app.deps import ClockDep, SessionDep
from payments import directory
from payments import requests as payment_requests
from payments.clock import Clock
from payments.directory import ReceivingAccount
from payments.errors import NotFound
from payments.notifications import FEED_PAGE_MAX_EVENTS, FeedEvent, events_since
from payments.tables import (
    NOTE_MAX_CHARS,
    URL_MAX_CHARS,
    credits,
    markets,
    webhook_endpoints,
)

# Every route: 401 without a vendor token, 403 with a token that is not a vendor's.
router = APIRouter(prefix="/api/v1/vendors", tags=["vendors"], responses=errors(401, 403))

FEED_POLL_S = 1.0  # a feed reader re-reads the database at least this often
FEED_MAX_DURATION_S = 3600  # then the client reconnects with Last-Event-ID
CREDITS_PAGE_MAX = 500
_REQUEST_RNG = random.SystemRandom()  # order references must not be guessable across vendors


class AccountIn(BaseModel):
    bank_bin: StrictStr = Field(pattern=r"^\d{6}$")
    account_number: StrictStr = Field(pattern=r"^[0-9A-Za-z]{1,19}$")


class RequestIn(BaseModel):
    receiving_account_id: Id
    amount_dong: Annotated[StrictInt, Field(ge=1, le=payment_requests.MAX_REQUEST_DONG), INTEGRAL]
    note: StrictStr = Field(default="", max_length=NOTE_MAX_CHARS)
    ttl_s: Annotated[StrictInt, Field(ge=60, le=payment_requests.MAX_REQUEST_TTL_S), INTEGRAL] = (
        payment_requests.REQUEST_TTL_S
    )


class WebhookIn(BaseModel):
    url: StrictStr = Field(min_length=8, max_length=URL_MAX_CHARS, pattern=r"^https?://")


def _account_json(account: ReceivingAccount) -> dict[str, object]:
    return {
        "id": account.id,
        "bank_bin": account.bank_bin,
        "account_number": account.account_number,
        "holder_name": account.holder_name,
        "static_payload": account.static_payload,
    }


def _request_json(request: payment_requests.PaymentRequest, now: datetime) -> dict[str, object]:
    return {
        "id": request.id,
        "receiving_account_id": request.receiving_account_id,
        "reference": request.reference,
        "amount_dong": request.amount_dong,
        "note": request.note,
        "status": request.status(now).value,
        "paid_dong": request.paid_dong,
        "remaining_dong": request.remaining_dong(),
        "payload": request.payload,
        "created_at": request.created_at.isoformat(),
        "expires_at": request.expires_at.isoformat(),
    }


def _city(session: SessionDep, market_id: int) -> str:
    name = session.connection().scalar(select(markets.c.name).where(markets.c.id == market_id))
    return str(name or "VIET NAM")


@router.get("/me")
def me(vendor: CurrentVendor) -> JSONResponse:
    return JSONResponse(
        {
            "id": vendor.id,
            "market_id": vendor.market_id,
            "name": vendor.name,
            "phone": vendor.phone,
            "category": vendor.category,
            "stall": vendor.stall,
        }
    )


@router.get("/me/accounts")
def my_accounts(vendor: CurrentVendor, session: SessionDep) -> JSONResponse:
    accounts = directory.receiving_accounts_of(session.connection(), vendor.id)
    return JSONResponse([_account_json(a) for a in accounts])


@router.post("/me/accounts", status_code=201, responses=errors(400, 404, 409))
def add_account(
    body: AccountIn, vendor: CurrentVendor, session: SessionDep, world: WorldDep, clock: ClockDep
) -> JSONResponse:
    account = directory.add_receiving_account(
        session.connection(),
        world.ledger,
        vendor_id=vendor.id,
        bank_bin=body.bank_bin,
        account_number=body.account_number,
        city=_city(session, vendor.market_id),
        now=clock.now(),
    )
    return JSONResponse(_account_json(account), status_code=201)


def _owned_account(session: SessionDep, vendor_id: int, account_id: int) -> ReceivingAccount:
    for account in directory.receiving_accounts_of(session.connection(), vendor_id):
        if account.id == account_id:
            return account
    raise NotFound(f"receiving account {account_id} does not exist")


@router.post("/me/requests", status_code=201, responses=errors(400, 404, 422))
def create_request(
    body: RequestIn, vendor: CurrentVendor, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    account = _owned_account(session, vendor.id, body.receiving_account_id)
    now = clock.now()
    created = payment_requests.create_request(
        session.connection(),
        account,
        amount_dong=body.amount_dong,
        note=body.note,
        now=now,
        rng=_REQUEST_RNG,
        city=_city(session, vendor.market_id),
        ttl_s=body.ttl_s,
    )
    return JSONResponse(_request_json(created, now), status_code=201)


@router.get("/me/requests/{request_id}", responses=errors(404))
def get_request(
    request_id: IdPath, vendor: CurrentVendor, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    found = payment_requests.get_request(session.connection(), request_id, vendor_id=vendor.id)
    return JSONResponse(_request_json(found, clock.now()))


@router.get("/me/credits")
def my_credits(
    vendor: CurrentVendor,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=CREDITS_PAGE_MAX)] = 100,
) -> JSONResponse:
    rows = session.connection().execute(
        select(credits)
        .where(credits.c.vendor_id == vendor.id, credits.c.id > after_id)
        .order_by(credits.c.id)
        .limit(limit)
    )
    return JSONResponse(
        [
            {
                "id": row.id,
                "amount_dong": row.amount_dong,
                "receiving_account_id": row.receiving_account_id,
                "request_id": row.request_id,
                "match": row.match,
                "memo": row.memo,
                "created_at": row.created_at.isoformat(),
            }
            for row in rows
        ]
    )


@router.put("/me/webhook", responses=errors(400))
def set_webhook(
    body: WebhookIn, vendor: CurrentVendor, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    """Set the webhook URL; a new signing secret is returned (shown only here)."""
    secret = secrets.token_hex(32)
    connection = session.connection()
    values = {"url": body.url, "secret": secret, "active": True}
    existing = connection.scalar(
        select(webhook_endpoints.c.id).where(webhook_endpoints.c.vendor_id == vendor.id)
    )
    if existing is None:
        connection.execute(
            insert(webhook_endpoints).values(vendor_id=vendor.id, created_at=clock.now(), **values)
        )
    else:
        connection.execute(
            update(webhook_endpoints).where(webhook_endpoints.c.id == existing).values(**values)
        )
    return JSONResponse({"url": body.url, "secret": secret})


# Errors are JSON; the 200 is a Server-Sent Events stream (declared so, for content-type checks).
FEED_RESPONSES = {
    **errors(403),
    200: {
        "description": "Server-Sent Events, one `payment` event per credit",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
}


@router.get("/{vendor_id}/feed", responses=FEED_RESPONSES)
async def feed(
    vendor_id: IdPath,
    vendor: CurrentVendor,
    world: WorldDep,
    clock: ClockDep,
    last_event_id: Annotated[int, Header(ge=0)] = 0,
    max_events: Annotated[int, Query(ge=1, le=FEED_PAGE_MAX_EVENTS)] = FEED_PAGE_MAX_EVENTS,
) -> StreamingResponse:
    """Server-Sent Events: one ``payment`` event per credit, in order; resumes after
    ``Last-Event-ID``. The stream ends after ``max_events`` events or an hour."""
    if vendor_id != vendor.id:
        raise HTTPException(status_code=403, detail="a vendor can read only its own feed")
    stream = _stream(world.engine, world.bus, clock, vendor_id, last_event_id, max_events)
    return StreamingResponse(stream, media_type="text/event-stream")


async def _stream(
    engine: Engine, bus: object, clock: Clock, vendor_id: int, after_seq: int, max_events: int
) -> AsyncIterator[str]:
    wakeup = bus.subscribe(vendor_id)  # type: ignore[attr-defined]
    sent = 0
    started = clock.now()
    try:
        while sent < max_events:
            batch = await run_in_threadpool(_read, engine, vendor_id, after_seq, clock)
            for event in batch[: max_events - sent]:
                after_seq = event.seq
                sent += 1
                yield _sse(event)
            if sent >= max_events:
                break
            if (clock.now() - started).total_seconds() > FEED_MAX_DURATION_S:
                break
            await asyncio.to_thread(wakeup.wait, FEED_POLL_S)
            wakeup.clear()
    finally:
        bus.unsubscribe(vendor_id, wakeup)  # type: ignore[attr-defined]


def _read(engine: Engine, vendor_id: int, after_seq: int, clock: Clock) -> list[FeedEvent]:
    with engine.connect() as connection:
        connection = connection.execution_options(sqlite_begin="DEFERRED")  # a reader
        return events_since(connection, vendor_id, after_seq=after_seq, now=clock.now())


def _sse(event: FeedEvent) -> str:
    body = json.dumps(event.as_json(), ensure_ascii=False)
    return f"id: {event.seq}\nevent: payment\ndata: {body}\n\n"
