"""People's words (message keys) for the errors the payments package raises."""

from __future__ import annotations

from merchant_app.pages.i18n import Translator
from payments.errors import (
    AmountFixed,
    AmountOverLimit,
    AmountRequired,
    BankOffline,
    Conflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    InvalidPayload,
    NotFound,
    PaymentError,
    PaymentTimeout,
    RateLimited,
    RequestExpired,
    UnknownAccount,
    UnknownBank,
)

_KEYS: list[tuple[type[PaymentError], str]] = [
    (InvalidAmount, "error.amount_invalid"),
    (AmountRequired, "error.amount_invalid"),
    (AmountFixed, "error.amount_fixed"),
    (AmountOverLimit, "error.amount_over_limit"),
    (InsufficientFunds, "error.insufficient_funds"),
    (UnknownBank, "error.bank_unknown"),
    (UnknownAccount, "error.account_not_found"),
    (InvalidPayload, "error.qr_invalid"),
    (RequestExpired, "error.request_expired"),
    (RateLimited, "error.slow_down"),
    (BankOffline, "error.bank_offline"),
    (PaymentTimeout, "error.timeout"),
    (Conflict, "error.account_exists"),
    (NotFound, "error.not_found"),
]


def payment_error_text(t: Translator, exc: PaymentError) -> str:
    for family, key in _KEYS:
        if isinstance(exc, family):
            return t(key)
    if isinstance(exc, InvalidInput):
        return t("error.generic", reason=str(exc))
    return t("error.payment_failed", reason=str(exc))
