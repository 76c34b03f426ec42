"""The ``marketpay`` command line: typer commands, one module per area.

``main(argv) -> int`` is the testable entry point; ``run()`` is the console script. Errors that
are the user's (bad settings, bad input) print one line naming the problem and exit 2; no
traceback reaches the user.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from merchant_app.cli import db as db_cli
from merchant_app.cli import ledger as ledger_cli
from merchant_app.cli import payments as payments_cli
from merchant_app.cli import qr as qr_cli
from merchant_app.cli import reconcile as reconcile_cli
from merchant_app.cli import serve as serve_cli
from merchant_app.cli import simulate as simulate_cli
from merchant_app.cli import users as users_cli
from merchant_app.cli.errors import UsageProblem, print_error
from merchant_app.settings import ConfigError
from qr import QRError

EXIT_USAGE = 2

app = typer.Typer(
    name="marketpay",
    help="MarketPay: VietQR payments for rural markets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(users_cli.app, name="user")
app.add_typer(qr_cli.app, name="qr")
serve_cli.register(app)
payments_cli.register(app)
reconcile_cli.register(app)
simulate_cli.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code instead of exiting."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, standalone_mode=False, prog_name="marketpay")
    except ConfigError as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except UsageProblem as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except QRError as exc:  # bad input to a qr command (unreadable image, unprintable text)
        print_error(str(exc))
        return EXIT_USAGE
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print_error("aborted")
        return 1
    except typer.TyperException as exc:
        # typer vendors click: usage errors and bad option values arrive here, not as
        # click.ClickException. One line naming the problem, exit 2, no traceback.
        print_error(exc.format_message() if hasattr(exc, "format_message") else str(exc))
        return EXIT_USAGE
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
