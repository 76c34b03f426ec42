"""Finding an order reference inside a bank memo.

Banks rewrite what the payer's app sent: they prepend their own text ("MBVCB.3312.",
"IBFT ", "CT DEN:"), change case, drop punctuation and truncate the memo to 19–25 characters,
so the order reference may arrive whole, cut short at the end, or glued to other text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from payments.reconciliation.model import MIN_REFERENCE_PREFIX_CHARS

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def normalize(text: str) -> str:
    """Upper case, ASCII letters and digits only: the form banks cannot change further."""
    return _NOT_ALNUM.sub("", text.upper())


def memo_carries(
    memo: str, reference: str, *, min_prefix_chars: int = MIN_REFERENCE_PREFIX_CHARS
) -> bool:
    """Whether ``memo`` carries ``reference`` whole, or cut short at the memo's end."""
    wanted = normalize(reference)
    seen = normalize(memo)
    if not wanted or not seen:
        return False
    if wanted in seen:
        return True
    # Truncation cuts the tail of the memo, so a cut reference is a suffix of the memo.
    longest = min(len(wanted) - 1, len(seen))
    return any(seen.endswith(wanted[:size]) for size in range(longest, min_prefix_chars - 1, -1))


def find_reference(
    memo: str, references: Iterable[str], *, min_prefix_chars: int = MIN_REFERENCE_PREFIX_CHARS
) -> list[str]:
    """Every reference the memo could carry; more than one means the memo is ambiguous."""
    return [
        reference
        for reference in references
        if memo_carries(memo, reference, min_prefix_chars=min_prefix_chars)
    ]
