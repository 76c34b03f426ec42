"""The account rules: pure checks over plain values. This code cannot do any IO.

``check_account`` decides one new account in TigerBeetle's create_account order (plus our unique
code) and returns its ``AccountResult``; the transfer rules are in ``rules``.
"""

from __future__ import annotations

from ledger.model import (
    ACCOUNT_FLAGS_ALL,
    CODE_MAX_CHARS,
    HOLDER_MAX_CHARS,
    ID_MAX,
    Account,
    AccountFlags,
    AccountResult,
)


def check_account(
    account: Account, existing: Account | None, code_owner: int | None
) -> AccountResult:
    """TigerBeetle's create_account order, plus our unique code."""
    if int(account.flags) & ~ACCOUNT_FLAGS_ALL:
        return AccountResult.reserved_flag
    if account.id == 0:
        return AccountResult.id_must_not_be_zero
    if not 0 < account.id <= ID_MAX:
        return AccountResult.id_out_of_range
    both = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    if account.flags & both == both:
        return AccountResult.flags_are_mutually_exclusive
    if account.code.strip() == "":
        return AccountResult.code_must_not_be_empty
    if len(account.code) > CODE_MAX_CHARS:
        return AccountResult.code_too_long
    if (
        len(account.currency) != 3
        or not account.currency.isascii()
        or not account.currency.isupper()
    ):
        return AccountResult.currency_invalid
    if len(account.holder) > HOLDER_MAX_CHARS:
        return AccountResult.holder_too_long
    if existing is not None:
        same = _account_key(existing) == _account_key(account)
        return AccountResult.exists if same else AccountResult.exists_with_different_fields
    if code_owner is not None:
        return AccountResult.code_already_used
    return AccountResult.ok


def _account_key(account: Account) -> tuple[object, ...]:
    flags = int(account.flags) & ~int(AccountFlags.LINKED)
    return (account.code, account.currency, flags, account.holder, dict(account.metadata))
