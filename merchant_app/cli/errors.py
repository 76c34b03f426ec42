"""How the CLI reports problems: one line on stderr, no traceback."""

from __future__ import annotations

import sys


class UsageProblem(Exception):
    """Bad input given on the command line; the message names it. Exit code 2."""


def print_error(message: str) -> None:
    sys.stderr.write(f"marketpay: error: {message}\n")
