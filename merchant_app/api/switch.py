"""Operator APIs (``Authorization: Bearer <operator token>``): the market directory, banks and
their customers, the switch (name inquiry, pay, settlement). A bank's app would call inquiry and
pay for its customer; in MarketPay's simulation the operator stands in for the banks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt, StrictStr

from merchant_app.api.contract import INTEGRAL, OPERATOR, Id, IsoDay, day_query, errors
from merchant_app.api.payments_deps import WorldDep
from merchant_app.auth import require_operator
from merchant_app.deps import ClockDep, SessionDep
from payments import directory
from payments.banks import MAX_DEPOSIT_DONG
from payments.directory import (
    LUNAR_MONTH_MAX_DAY,
    MAX_INTERVAL_DAYS,
    MAX_STALL_FEE_DONG,
    MarketDayRule,
)
from payments.routing import CLIENT_ID_MAX_CHARS, MAX_PAYMENT_DONG, Payment, PaymentOutcome
from payments.settlement import settlement_for_day
from payments.tables import CATEGORY_MAX_CHARS, NAME_MAX_CHARS, STALL_MAX_CHARS

router = APIRouter(
    prefix="/api/v1",
    tags=["switch"],
    dependencies=[Depends(require_operator)],
    responses=errors(*OPERATOR),
)

# The same rules as payments' checks, so the schema says what the code refuses.
BIN_PATTERN = r"^\d{6}$"
ACCOUNT_PATTERN = r"^[0-9A-Za-z]{1,19}$"
NOT_BLANK = r"\S"  # names are stripped; a blank one is refused
BinPath = Annotated[str, Path(pattern=BIN_PATTERN)]
AccountPath = Annotated[str, Path(pattern=ACCOUNT_PATTERN)]


Name = Annotated[StrictStr, Field(min_length=1, max_length=NAME_MAX_CHARS, pattern=NOT_BLANK)]
Category = Annotated[
    StrictStr, Field(min_length=1, max_length=CATEGORY_MAX_CHARS, pattern=NOT_BLANK)
]
Stall = Annotated[StrictStr, Field(min_length=1, max_length=STALL_MAX_CHARS, pattern=NOT_BLANK)]


class NameIn(BaseModel):
    name: Name


class CommuneIn(NameIn):
    district_id: Id


class MarketIn(NameIn):
    """A market; ``interval`` needs ``interval_days`` and ``anchor_date``, ``lunar`` needs
    ``lunar_days`` (refused with 400 otherwise: the schema cannot say which goes with which)."""

    commune_id: Id
    day_rule: StrictStr = Field(pattern="^(interval|lunar)$")
    interval_days: Annotated[StrictInt, Field(ge=1, le=MAX_INTERVAL_DAYS), INTEGRAL] | None = None
    anchor_date: IsoDay | None = None
    lunar_days: list[Annotated[StrictInt, Field(ge=1, le=LUNAR_MONTH_MAX_DAY), INTEGRAL]] = Field(
        default_factory=list, max_length=LUNAR_MONTH_MAX_DAY
    )
    stall_fee_dong: Annotated[StrictInt, Field(ge=0, le=MAX_STALL_FEE_DONG), INTEGRAL] = 0


class VendorIn(NameIn):
    market_id: Id
    phone: StrictStr = Field(pattern=r"^\d{9,15}$")
    category: Category
    stall: Stall


class BankAccountIn(BaseModel):
    account_number: StrictStr = Field(pattern=ACCOUNT_PATTERN)
    holder: Name


class DepositIn(BaseModel):
    amount_dong: Annotated[StrictInt, Field(ge=1, le=MAX_DEPOSIT_DONG), INTEGRAL]
    deposit_id: StrictStr = Field(min_length=1, max_length=64)


class PayIn(BaseModel):
    """A scanned payload paid from a payer's account. Whether ``payload`` is a usable VietQR
    code and whether ``amount_dong`` fits it are checked after the schema (400)."""

    payload: StrictStr = Field(min_length=1, max_length=512)
    payer_bin: StrictStr = Field(pattern=BIN_PATTERN)
    payer_account: StrictStr = Field(pattern=ACCOUNT_PATTERN)
    client_transfer_id: StrictStr = Field(pattern=rf"^[A-Za-z0-9_.:-]{{1,{CLIENT_ID_MAX_CHARS}}}$")
    amount_dong: Annotated[StrictInt, Field(ge=1, le=MAX_PAYMENT_DONG), INTEGRAL] | None = None


@router.get("/directory")
def get_directory(session: SessionDep) -> JSONResponse:
    return JSONResponse(directory.directory_tree(session.connection()))


@router.post("/directory/districts", status_code=201, responses=errors(400, 409))
def add_district(body: NameIn, session: SessionDep) -> JSONResponse:
    new_id = directory.create_district(session.connection(), body.name)
    return JSONResponse({"id": new_id}, status_code=201)


@router.post("/directory/communes", status_code=201, responses=errors(400, 404, 409))
def add_commune(body: CommuneIn, session: SessionDep) -> JSONResponse:
    new_id = directory.create_commune(session.connection(), body.district_id, body.name)
    return JSONResponse({"id": new_id}, status_code=201)


@router.post("/directory/markets", status_code=201, responses=errors(400, 404, 409))
def add_market(body: MarketIn, session: SessionDep) -> JSONResponse:
    rule = MarketDayRule(
        body.day_rule, body.interval_days, body.anchor_date, tuple(body.lunar_days)
    )
    new_id = directory.create_market(
        session.connection(), body.commune_id, body.name, rule, body.stall_fee_dong
    )
    return JSONResponse({"id": new_id}, status_code=201)


@router.post("/directory/vendors", status_code=201, responses=errors(400, 404, 409))
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


@router.post("/banks/{bank_bin}", status_code=201, responses=errors(404))
def connect_bank(bank_bin: BinPath, world: WorldDep, clock: ClockDep) -> JSONResponse:
    info = world.banks.connect(bank_bin, now=clock.now())
    return JSONResponse({"bin": info.bin, "short_name": info.short_name}, status_code=201)


@router.post("/banks/{bank_bin}/accounts", status_code=201, responses=errors(400, 404, 409))
def open_account(bank_bin: BinPath, body: BankAccountIn, world: WorldDep) -> JSONResponse:
    world.banks.open_accounts([(bank_bin, body.account_number, body.holder)])
    return JSONResponse({"bank_bin": bank_bin, "account_number": body.account_number}, 201)


@router.post(
    "/banks/{bank_bin}/accounts/{account_number}/deposits", responses=errors(400, 404, 409)
)
def deposit(
    bank_bin: BinPath, account_number: AccountPath, body: DepositIn, world: WorldDep
) -> JSONResponse:
    world.banks.deposit(bank_bin, account_number, body.amount_dong, deposit_id=body.deposit_id)
    return JSONResponse({"balance_dong": world.banks.balance_dong(bank_bin, account_number)})


# The limit's key is the authenticated principal. A header the caller chooses (X-Caller-Id, which
# this route used to key on) would let a token holder escape the limit by rotating it.
OPERATOR_PRINCIPAL = "operator"


@router.get("/switch/inquiry", responses=errors(404, 429, 503, 504))
def name_inquiry(
    world: WorldDep,
    bank_bin: Annotated[str, Query(pattern=BIN_PATTERN)],
    account_number: Annotated[str, Query(pattern=ACCOUNT_PATTERN)],
) -> JSONResponse:
    """Whose account it is. Rate-limited per authenticated principal (the operator token)."""
    name = world.switch.name_inquiry(bank_bin, account_number, caller=OPERATOR_PRINCIPAL)
    return JSONResponse({"bank_bin": bank_bin, "account_number": account_number, "name": name})


@router.post("/switch/payments", responses=errors(400, 402, 404, 409, 410, 422, 503, 504))
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
def settlement(day: Annotated[IsoDay, day_query("date")], session: SessionDep) -> JSONResponse:
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
