"""``marketpay user add``: create a login for an official, an operator or a vendor."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from merchant_app.cli.errors import UsageProblem
from merchant_app.clock import SystemClock
from merchant_app.database import check_database, make_engine
from merchant_app.settings import ensure_data_dir, load_settings
from merchant_app.users import Role, UserError, create_user, normalize_phone
from merchant_app.vendor_link import vendor_id_for_phone

app = typer.Typer(help="People who log in to the pages.", no_args_is_help=True)

PASSWORD_STDIN_MAX_BYTES = 1024


@app.command("add")
def add(
    role_name: str = typer.Option(..., "--role", help="official, vendor or operator."),
    phone: str = typer.Option(..., help="Mobile number, e.g. 0912345678; the login name."),
    name: str | None = typer.Option(None, help="Name shown on the pages (default: the phone)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Create a user. A vendor login is linked to the vendor registered with that phone."""
    if role_name not in {r.value for r in Role}:
        raise UsageProblem(f"--role {role_name!r}: use official, vendor or operator")
    role = Role(role_name)
    password = _read_password(password_stdin)
    settings = load_settings()
    ensure_data_dir(settings)
    engine = make_engine(settings.effective_database_url)
    check_database(engine)
    try:
        with Session(engine) as session, session.begin():
            vendor_id = None
            if role is Role.VENDOR:
                vendor_id = vendor_id_for_phone(session, normalize_phone(phone))
                if vendor_id is None:
                    raise UsageProblem(
                        f"--phone {phone}: no vendor is registered with this phone "
                        "(register the vendor first, or sign up on the /signup page)"
                    )
            user = create_user(
                session,
                phone=phone,
                password=password,
                role=role,
                display_name=name or phone,
                now=SystemClock().now(),
                vendor_id=vendor_id,
            )
    except UserError as exc:
        raise UsageProblem(str(exc)) from None
    finally:
        engine.dispose()
    Console(stderr=True).print(f"user {user.id} ({user.role.value}, {user.phone}) created")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline(PASSWORD_STDIN_MAX_BYTES)
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password
