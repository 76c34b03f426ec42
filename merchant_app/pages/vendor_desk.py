"""What the vendor pages need from payments and qr, for one vendor at a time.

Every function takes the logged-in vendor's id and only returns that vendor's rows; asking for
another vendor's account or request returns None (the page answers 403).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.orm import Session

from merchant_app.pages import banking
from merchant_app.pages.dashboard_data import VIETNAM
from merchant_app.pages.views import (
    AccountView,
    BankTakings,
    PaymentView,
    PeriodTakings,
    RequestView,
    Takings,
    VendorView,
    mask_account,
)
from merchant_app.wiring import PaymentsWorld
from payments import directory
from payments import requests as payment_requests
from payments.clock import as_utc
from payments.directory import ReceivingAccount
from payments.errors import NotFound
from payments.tables import credits, markets, receiving_accounts
from payments.tables import payment_requests as requests_table

ACCOUNT_MIN_DIGITS = 6
MIN_AMOUNT_DONG = 1_000  # the smallest note in use; below this nobody pays by QR
MAX_AMOUNT_DONG = payment_requests.MAX_REQUEST_DONG
HISTORY_MAX_ROWS = 200
REQUESTS_MAX_ROWS = 50  # a market day's sales; older ones are in the history
TIME_FORMAT = "%H:%M %d/%m"

is_known_bank = banking.is_known_bank
bank_choices = banking.bank_choices


def vendor_view(session: Session, vendor_id: int) -> VendorView:
    vendor = directory.get_vendor(session.connection(), vendor_id)
    market = session.execute(select(markets.c.name).where(markets.c.id == vendor.market_id))
    return VendorView(vendor.id, vendor.name, str(market.scalar_one()), vendor.stall)


def accounts(session: Session, vendor_id: int) -> list[AccountView]:
    return [
        AccountView(
            id=a.id,
            bin=a.bank_bin,
            bank=banking.bank_label(a.bank_bin),
            masked=mask_account(a.account_number),
            holder=a.holder_name,
        )
        for a in directory.receiving_accounts_of(session.connection(), vendor_id)
    ]


def owns_account(session: Session, vendor_id: int, account_id: int) -> bool:
    return any(
        a.id == account_id for a in directory.receiving_accounts_of(session.connection(), vendor_id)
    )


def add_account(
    session: Session,
    world: PaymentsWorld,
    vendor_id: int,
    *,
    bin_code: str,
    account: str,
    now: datetime,
) -> AccountView:
    """Ask the switch whose account it is, then link it to the vendor with its sticker QR.

    The inquiry goes first, before this request's session writes anything: on SQLite the
    session's transaction would hold the lock the switch's fault log may need.
    """
    holder = world.switch.name_inquiry(bin_code, account, caller=f"vendor:{vendor_id}")
    added = directory.add_receiving_account(
        session.connection(),
        world.ledger,
        vendor_id=vendor_id,
        bank_bin=bin_code,
        account_number=account,
        city=_market_city(session, vendor_id),
        now=now,
    )
    label = banking.bank_label(bin_code)
    return AccountView(added.id, bin_code, label, mask_account(account), holder)


def _market_city(session: Session, vendor_id: int) -> str:
    vendor = directory.get_vendor(session.connection(), vendor_id)
    name = session.execute(select(markets.c.name).where(markets.c.id == vendor.market_id))
    return str(name.scalar_one())


def create_request(
    session: Session,
    vendor_id: int,
    *,
    account_id: int,
    amount_dong: int,
    note: str,
    now: datetime,
    rng: random.Random | None = None,
) -> int:
    account = directory.receiving_account(session.connection(), account_id)
    assert account.vendor_id == vendor_id, "the page checked ownership first"
    created = payment_requests.create_request(
        session.connection(),
        account,
        amount_dong=amount_dong,
        note=note,
        now=now,
        rng=rng or random.SystemRandom(),
        city=_market_city(session, vendor_id),
    )
    return created.id


def _request_view(
    session: Session,
    request: payment_requests.PaymentRequest,
    now: datetime,
    account: ReceivingAccount | None = None,
) -> RequestView:
    if account is None:
        account = directory.receiving_account(session.connection(), request.receiving_account_id)
    return RequestView(
        id=request.id,
        reference=request.reference,
        amount_dong=request.amount_dong,
        paid_dong=request.paid_dong,
        status=request.status(now).value.lower(),
        bank=banking.bank_label(account.bank_bin),
        masked_account=mask_account(account.account_number),
        created_at_text=request.created_at.astimezone(VIETNAM).strftime(TIME_FORMAT),
        expires_at_text=request.expires_at.astimezone(VIETNAM).strftime(TIME_FORMAT),
    )


def request_view(
    session: Session, vendor_id: int, request_id: int, *, now: datetime
) -> RequestView | None:
    try:
        request = payment_requests.get_request(
            session.connection(), request_id, vendor_id=vendor_id
        )
    except NotFound:
        return None
    return _request_view(session, request, now)


def request_qr_png(session: Session, vendor_id: int, request_id: int) -> bytes:
    request = payment_requests.get_request(session.connection(), request_id, vendor_id=vendor_id)
    return banking.qr_png(request.payload)


def requests(session: Session, vendor_id: int, *, now: datetime) -> list[RequestView]:
    """The vendor's latest requests, newest first (payments' own reader, one per request)."""
    ids = session.execute(
        select(requests_table.c.id)
        .where(requests_table.c.vendor_id == vendor_id)
        .order_by(requests_table.c.id.desc())
        .limit(REQUESTS_MAX_ROWS)
    ).scalars()
    accounts = {a.id: a for a in directory.receiving_accounts_of(session.connection(), vendor_id)}
    views = []
    for request_id in ids:
        request = payment_requests.get_request(
            session.connection(), request_id, vendor_id=vendor_id
        )
        account = accounts.get(request.receiving_account_id)
        views.append(_request_view(session, request, now, account))
    return views


def sticker_pdf(session: Session, vendor_id: int, account_id: int) -> bytes | None:
    """The A6 sticker of one of the vendor's accounts; None when it is not the vendor's."""
    accounts = directory.receiving_accounts_of(session.connection(), vendor_id)
    mine = [a for a in accounts if a.id == account_id]
    if not mine:
        return None
    vendor = directory.get_vendor(session.connection(), vendor_id)
    return banking.stickers_pdf(vendor, _market_city(session, vendor_id), mine, sheet=False)


def sticker_sheet_pdf(session: Session, vendor_id: int) -> bytes | None:
    accounts = directory.receiving_accounts_of(session.connection(), vendor_id)
    if not accounts:
        return None
    vendor = directory.get_vendor(session.connection(), vendor_id)
    return banking.stickers_pdf(vendor, _market_city(session, vendor_id), accounts, sheet=True)


def takings(session: Session, vendor_id: int, *, now: datetime) -> Takings:
    local = now.astimezone(VIETNAM)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    tomorrow = day_start + timedelta(days=1)
    # Bounds go to the database in UTC: SQLite compares stored UTC wall times as text.
    return Takings(
        today=_period(
            session, vendor_id, "today", day_start.astimezone(UTC), tomorrow.astimezone(UTC)
        ),
        month=_period(
            session, vendor_id, "month", month_start.astimezone(UTC), tomorrow.astimezone(UTC)
        ),
    )


def _period(
    session: Session, vendor_id: int, key: str, start: datetime, end: datetime
) -> PeriodTakings:
    rows = session.execute(
        select(
            receiving_accounts.c.bank_bin, func.count(credits.c.id), func.sum(credits.c.amount_dong)
        )
        .join(receiving_accounts, receiving_accounts.c.id == credits.c.receiving_account_id)
        .where(
            credits.c.vendor_id == vendor_id,
            credits.c.created_at >= start,
            credits.c.created_at < end,
        )
        .group_by(receiving_accounts.c.bank_bin)
        .order_by(receiving_accounts.c.bank_bin)
    ).all()
    by_bank = [BankTakings(banking.bank_label(b), int(c), int(s or 0)) for b, c, s in rows]
    return PeriodTakings(
        key, sum(b.count for b in by_bank), sum(b.total_dong for b in by_bank), by_bank
    )


def history(session: Session, vendor_id: int, *, query: str) -> list[PaymentView]:
    """The vendor's credits, newest first; the query matches amount, bank or reference/memo."""
    statement = (
        select(
            credits.c.created_at,
            receiving_accounts.c.bank_bin,
            credits.c.memo,
            credits.c.amount_dong,
        )
        .join(receiving_accounts, receiving_accounts.c.id == credits.c.receiving_account_id)
        .where(credits.c.vendor_id == vendor_id)
    )
    if query:
        digits = query.replace(".", "").replace(" ", "").removesuffix("đ")
        like = f"%{_escape_like(query.upper())}%"
        bins = banking.bins_matching(query)
        conditions: list[ColumnElement[bool]] = [func.upper(credits.c.memo).like(like, escape="\\")]
        if digits.isdigit():
            conditions.append(cast(credits.c.amount_dong, String) == digits)
        if bins:
            conditions.append(receiving_accounts.c.bank_bin.in_(bins))
        statement = statement.where(or_(*conditions))
    rows = session.execute(statement.order_by(credits.c.id.desc()).limit(HISTORY_MAX_ROWS)).all()
    return [
        PaymentView(
            at_text=as_utc(at).astimezone(VIETNAM).strftime(TIME_FORMAT),
            bank=banking.bank_label(bank_bin),
            reference=memo,
            amount_dong=int(amount),
        )
        for at, bank_bin, memo, amount in rows
    ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
