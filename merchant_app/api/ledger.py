"""``/api/v1/ledger``: create accounts and transfers, read balances and history (operator only).

Batches answer 200 with one ``{id, result}`` per item, in order, even when some results are
errors (outcomes are values); only a malformed request is a 4xx, and it changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from ledger import (
    MAX_BATCH_TRANSFERS,
    Account,
    AccountFlags,
    Ledger,
    StoredTransfer,
    Transfer,
    TransferFlags,
)
from ledger.model import ID_MAX, MAX_BATCH_ACCOUNTS, PAGE_LIMIT_MAX
from merchant_app.api.contract import INTEGRAL, OPERATOR, JsonInt, errors
from merchant_app.auth import require_operator
from merchant_app.deps import ClockDep, EngineDep

router = APIRouter(
    prefix="/api/v1/ledger",
    tags=["ledger"],
    dependencies=[Depends(require_operator)],
    responses=errors(*OPERATOR),
)


def get_ledger(engine: EngineDep, clock: ClockDep) -> Ledger:
    return Ledger(engine, clock=clock.now)


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


Flags = Annotated[StrictInt, Field(ge=0), INTEGRAL]
# Ledger ids are client-chosen up to 2**63-1; a larger one names no account (404), it is not bad
# input. No schema maximum: above 2**53 a JSON reader cannot tell the bound from its neighbours.
AccountIdPath = Annotated[int, Path(ge=0)]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: JsonInt
    code: StrictStr
    currency: StrictStr = "VND"
    flags: Flags = 0
    holder: StrictStr = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: JsonInt
    debit_account_id: JsonInt
    credit_account_id: JsonInt
    amount: JsonInt
    reference: StrictStr = ""
    memo: StrictStr = ""
    flags: Flags = 0
    pending_id: JsonInt | None = None
    timeout_s: JsonInt = 0
    metadata: dict[str, Any] = Field(default_factory=dict)


AccountBatch = Annotated[list[AccountIn], Field(min_length=1, max_length=MAX_BATCH_ACCOUNTS)]
TransferBatch = Annotated[list[TransferIn], Field(min_length=1, max_length=MAX_BATCH_TRANSFERS)]


@router.post("/accounts", responses=errors(400))
def create_accounts(body: AccountBatch, ledger: LedgerDep) -> JSONResponse:
    accounts = [
        Account(a.id, a.code, a.currency, AccountFlags(a.flags), a.holder, a.metadata) for a in body
    ]
    results = ledger.create_accounts(accounts)
    return JSONResponse(
        [{"id": a.id, "result": r.value} for a, r in zip(body, results, strict=True)]
    )


@router.post("/transfers", responses=errors(400))
def create_transfers(body: TransferBatch, ledger: LedgerDep) -> JSONResponse:
    transfers = [
        Transfer(
            t.id,
            t.debit_account_id,
            t.credit_account_id,
            t.amount,
            t.reference,
            t.memo,
            TransferFlags(t.flags),
            t.pending_id,
            t.timeout_s,
            t.metadata,
        )
        for t in body
    ]
    results = ledger.create_transfers(transfers)
    return JSONResponse(
        [{"id": t.id, "result": r.value} for t, r in zip(body, results, strict=True)]
    )


@router.get("/accounts/{account_id}", responses=errors(404))
def get_account(account_id: AccountIdPath, ledger: LedgerDep) -> JSONResponse:
    found = ledger.lookup_accounts([account_id]) if account_id <= ID_MAX else []
    if not found:
        raise HTTPException(status_code=404, detail=f"ledger account {account_id} not found")
    a = found[0]
    return JSONResponse(
        {
            "id": a.id,
            "code": a.code,
            "currency": a.currency,
            "flags": int(a.flags),
            "holder": a.holder,
            "debits_pending": a.debits_pending,
            "debits_posted": a.debits_posted,
            "credits_pending": a.credits_pending,
            "credits_posted": a.credits_posted,
            "balance": a.balance,
        }
    )


@router.get("/accounts/{account_id}/transfers", responses=errors(404))
def account_transfers(
    account_id: AccountIdPath,
    ledger: LedgerDep,
    cursor: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX)] = 100,
) -> JSONResponse:
    if account_id > ID_MAX or not ledger.lookup_accounts([account_id]):
        raise HTTPException(status_code=404, detail=f"ledger account {account_id} not found")
    # A cursor past every id is an empty page, as any cursor past the last transfer is.
    if cursor is not None:
        cursor = min(cursor, ID_MAX)
    page = ledger.account_transfers(account_id, cursor=cursor, limit=limit)
    return JSONResponse(
        {"items": [_transfer_json(t) for t in page.items], "next_cursor": page.next_cursor}
    )


def _transfer_json(t: StoredTransfer) -> dict[str, Any]:
    return {
        "id": t.id,
        "debit_account_id": t.debit_account_id,
        "credit_account_id": t.credit_account_id,
        "amount": t.amount_dong,
        "reference": t.reference,
        "memo": t.memo,
        "flags": int(t.flags),
        "pending_id": t.pending_id,
        "timeout_s": t.timeout_s,
        "metadata": dict(t.metadata),
        "timestamp": t.timestamp.isoformat(),
        "timestamp_ns": t.timestamp_ns,
        "hash": t.hash,
    }
