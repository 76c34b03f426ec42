"""The ``PaymentError`` family: every user-facing failure of the payments package.

PaymentError
├── InvalidInput          400  bad directory/request input (names the field)
├── InvalidPayload        400  a scanned text that is not a usable VietQR payload
├── InvalidAmount         400  zero, negative, non-integer amounts
├── AmountRequired        400  a static code needs the buyer to type an amount
├── AmountFixed           400  a dynamic code's amount cannot be changed
├── Cancelled             400  the buyer did not confirm the payment
├── AmountOverLimit       422  above the per-payment limit (ours or the bank's)
├── InsufficientFunds     402  the buyer's balance does not cover the amount
├── UnknownBank           404  no bank with that BIN is connected to the switch
├── UnknownAccount        404  the bank has no such account
├── NotFound              404  a directory row, request or event that does not exist
├── Conflict              409  a duplicate (same phone, same bank account, ...)
├── RequestExpired        410  paying or changing a payment request past its expiry
├── RateLimited           429  too many name inquiries from one caller
├── WebhookRejected       401  bad signature, stale timestamp or replayed event id
├── BankOffline           503  the bank does not answer at all
└── PaymentTimeout        504  no answer in time; retry with the same client transfer id
"""

from __future__ import annotations


class PaymentError(Exception):
    status_code = 400
    code = "payment_error"


class InvalidInput(PaymentError):
    code = "invalid_input"


class InvalidPayload(PaymentError):
    code = "invalid_payload"


class InvalidAmount(PaymentError):
    code = "invalid_amount"


class AmountRequired(PaymentError):
    code = "amount_required"


class AmountFixed(PaymentError):
    code = "amount_fixed"


class Cancelled(PaymentError):
    code = "cancelled"


class AmountOverLimit(PaymentError):
    status_code = 422
    code = "amount_over_limit"


class InsufficientFunds(PaymentError):
    status_code = 402
    code = "insufficient_funds"


class UnknownBank(PaymentError):
    status_code = 404
    code = "unknown_bank"


class UnknownAccount(PaymentError):
    status_code = 404
    code = "unknown_account"


class NotFound(PaymentError):
    status_code = 404
    code = "not_found"


class Conflict(PaymentError):
    status_code = 409
    code = "conflict"


class RequestExpired(PaymentError):
    status_code = 410
    code = "request_expired"


class RateLimited(PaymentError):
    status_code = 429
    code = "rate_limited"


class WebhookRejected(PaymentError):
    status_code = 401
    code = "webhook_rejected"


class BankOffline(PaymentError):
    status_code = 503
    code = "bank_offline"


class PaymentTimeout(PaymentError):
    status_code = 504
    code = "timeout"
