"""Operator APIs (``Authorization: Bearer <operator token>``): the market directory, banks and
their customers, the switch (name inquiry, pay, settlement). A bank's app would call inquiry and
pay for its customer; in MarketPay's simulation the operator stands in for the banks.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt, StrictStr

from merchant_app.api.payments_deps import WorldDep
from merchant_app.auth import require_operator
from merchant_app.deps import ClockDep, SessionDep
from payments import directory
from payments.directory import MarketDayRule
from payments.routing import Payment, PaymentOutcome
from payments.settlement import settlement_for_day

router = APIRouter(prefix="/api/v1", tags=["switch"], dependencies=[Depends(require_operator)])


class NameIn(BaseModel):
    name: StrictStr = Field(min_length=1, max_length=80)


class CommuneIn(NameIn):
    district_id: StrictInt


class MarketIn(NameIn):
    commune_id: StrictInt
    day_rule: StrictStr = Field(pattern="^(interval|lunar)$")
    interval_days: StrictInt | None = None
    anchor_date: date | None = None
    lunar_days: list[StrictInt] = Field(default_factory=list, max_length=30)
    stall_fee_dong: StrictInt = 0


class VendorIn(NameIn):
    market_id: StrictInt
    phone: StrictStr
    category: StrictStr
    stall: StrictStr


class BankAccountIn(BaseModel):
    account_number: StrictStr = Field(min_length=1, max_length=19)
    holder: StrictStr = Field(min_length=1, max_length=80)


class DepositIn(BaseModel):
    amount_dong: StrictInt
    deposit_id: StrictStr = Field(min_length=1, max_length=64)


class PayIn(BaseModel):
    payload: StrictStr = Field(min_length=1, max_length=512)
    payer_bin: StrictStr
    payer_account: StrictStr
    client_transfer_id: StrictStr
    amount_dong: StrictInt | None = None


@router.get("/directory")
def get_directory(session: SessionDep) -> JSONResponse:
    return JSONResponse(directory.directory_tree(session.connection()))


@router.post("/directory/districts", status_code=201)
def add_district(body: NameIn, session: SessionDep) -> JSONResponse:
    new_id = directory.create_district(session.connection(), body.name)
    return JSONResponse({"id": new_id}, status_code=201)


@router.post("/directory/communes", status_code=201)
def add_commune(body: CommuneIn, session: SessionDep) -> JSONResponse:
    new_id = directory.create_commune(session.connection(), body.district_id, body.name)
    return JSONResponse({"id": new_id}, status_code=201)


@router.post("/directory/markets", status_code=201)
def add_market(body: MarketIn, session: SessionDep) -> JSONResponse:
    rule = MarketDayRule(
        body.day_rule, body.interval_days, body.anchor_date, tuple(body.lunar_days)
    )
    new_id = directory.create_market(
        session.connection(), body.commune_id, body.name, rule, body.stall_fee_dong
    )
    return JSONResponse({"id": new_id}, status_code=201)


@router.post("/directory/vendors", status_code=201)
def register_vendor(body: VendorIn, session: SessionDep, clock: ClockDep) -> JSONResponse:
    """Register a vendor; the response carries its API token, shown only this once."""
    vendor, token = directory.register_vendor(
        session.connection(),
        market_id=body.market_id,
        name=body.name,
        phone=body.phone,
        category=body.category,
        stall=body.stall,
        now=clock.now(),
    )
    return JSONResponse({"id": vendor.id, "api_token": token}, status_code=201)


@router.post("/banks/{bank_bin}", status_code=201)
def connect_bank(bank_bin: str, world: WorldDep, clock: ClockDep) -> JSONResponse:
    info = world.banks.connect(bank_bin, now=clock.now())
    return JSONResponse({"bin": info.bin, "short_name": info.short_name}, status_code=201)


@router.post("/banks/{bank_bin}/accounts", status_code=201)
def open_account(bank_bin: str, body: BankAccountIn, world: WorldDep) -> JSONResponse:
    world.banks.open_accounts([(bank_bin, body.account_number, body.holder)])
    return JSONResponse({"bank_bin": bank_bin, "account_number": body.account_number}, 201)


@router.post("/banks/{bank_bin}/accounts/{account_number}/deposits")
def deposit(bank_bin: str, account_number: str, body: DepositIn, world: WorldDep) -> JSONResponse:
    world.banks.deposit(bank_bin, account_number, body.amount_dong, deposit_id=body.deposit_id)
    return JSONResponse({"balance_dong": world.banks.balance_dong(bank_bin, account_number)})


# The limit's key is the authenticated principal. A header the caller chooses (X-Caller-Id, which
# this route used to key on) would let a token holder escape the limit by rotating it.
OPERATOR_PRINCIPAL = "operator"


@router.get("/switch/inquiry")
def name_inquiry(
    world: WorldDep,
    bank_bin: Annotated[str, Query(min_length=6, max_length=6)],
    account_number: Annotated[str, Query(min_length=1, max_length=19)],
) -> JSONResponse:
    """Whose account it is. Rate-limited per authenticated principal (the operator token)."""
    name = world.switch.name_inquiry(bank_bin, account_number, caller=OPERATOR_PRINCIPAL)
    return JSONResponse({"bank_bin": bank_bin, "account_number": account_number, "name": name})


@router.post("/switch/payments")
def pay(body: PayIn, world: WorldDep) -> JSONResponse:
    """Pay a scanned payload. Retrying with the same client_transfer_id never charges twice."""
    outcome = world.switch.pay(
        Payment(
            body.payload,
            body.payer_bin,
            body.payer_account,
            body.client_transfer_id,
            body.amount_dong,
        )
    )
    outcome.raise_for_status()  # the vendor's webhook is queued by the world's event bus
    return JSONResponse(outcome_json(outcome))


def outcome_json(outcome: PaymentOutcome) -> dict[str, object]:
    return {
        "status": outcome.status.value,
        "switch_ref": outcome.switch_ref,
        "amount_dong": outcome.amount_dong,
        "payee_bin": outcome.payee_bin,
        "payee_account": outcome.payee_account,
        "payee_name": outcome.payee_name,
        "event_id": outcome.event_id,
        "request_id": outcome.request_id,
        "match": outcome.match.value if outcome.match else None,
        "at": outcome.at.isoformat() if outcome.at else None,
    }


@router.get("/switch/settlement")
def settlement(day: Annotated[date, Query(alias="date")], session: SessionDep) -> JSONResponse:
    result = settlement_for_day(session.connection(), day)
    return JSONResponse(
        {
            "date": day.isoformat(),
            "banks": [
                {
                    "bank_bin": p.bank_bin,
                    "bank_name": p.bank_name,
                    "transfers": p.transfers,
                    "paid_dong": p.paid_dong,
                    "received_dong": p.received_dong,
                    "net_position_dong": p.net_position_dong,
                }
                for p in result.positions
            ],
        }
    )
