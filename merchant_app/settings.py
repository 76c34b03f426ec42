"""Settings for the MarketPay service: one pydantic-settings class, read once, passed down.

Every setting is an environment variable with the prefix ``MARKETPAY_`` (documented in
``docs/SETTINGS.md``; a test checks that each field is listed there). Secrets are never
committed: when ``MARKETPAY_SECRET_KEY`` or ``MARKETPAY_OPERATOR_TOKEN`` is not given, one is
generated into the data directory on first start and reused afterwards.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DRIVERS = ("sqlite", "postgresql", "postgresql+psycopg")
SECRET_BYTES = 32


class ConfigError(Exception):
    """A setting is wrong. The message names the setting and says what to do."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MARKETPAY_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./var"),
        description="Where the SQLite file, generated secrets and exports live.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is sqlite:///<data_dir>/marketpay.db."
    )
    host: str = Field(default="127.0.0.1", description="Address `marketpay serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `marketpay serve` uses.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs session cookies and webhooks; generated into the data dir when unset.",
    )
    operator_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the ledger and switch APIs; generated when unset.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of the server."
    )
    secure_cookie: bool = Field(
        default=False,
        description="Mark the session cookie Secure (HTTPS only); on when served over https.",
    )

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parse_database_url(value)
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'marketpay.db').resolve()}"

    def masked(self) -> dict[str, str]:
        """The effective settings for people to read, with secrets masked."""
        url = make_url(self.effective_database_url)
        return {
            "data_dir": str(self.data_dir.resolve()),
            "database_url": url.render_as_string(hide_password=True),
            "host": self.host,
            "port": str(self.port),
            "secret_key": _mask(self.secret_key),
            "operator_token": _mask(self.operator_token),
            "log_level": self.log_level,
            "secure_cookie": str(self.secure_cookie).lower(),
        }


def _mask(value: SecretStr | None) -> str:
    if value is None:
        return "(generated on first start)"
    return "********"


def parse_database_url(value: str) -> URL:
    """Parse and check a database URL; raise ``ValueError`` naming what is wrong."""
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError(f"malformed database URL {value!r}") from exc
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database {url.drivername!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DB"
        )
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment; a bad value becomes a ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "MARKETPAY_" + str(first["loc"][0]).upper() if first["loc"] else "MARKETPAY"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(name, message) from None


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data directory and check it is writable."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            "MARKETPAY_DATA_DIR", f"{path} is not writable ({exc.strerror})"
        ) from None
    return path


def with_secrets(settings: Settings) -> Settings:
    """Fill in missing secrets from (or into) the data directory, mode 0600."""
    data_dir = ensure_data_dir(settings)
    updates: dict[str, SecretStr] = {}
    for field in ("secret_key", "operator_token"):
        if getattr(settings, field) is None:
            updates[field] = SecretStr(_stored_secret(data_dir / f"{field}.txt"))
    return settings.model_copy(update=updates) if updates else settings


def _stored_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(SECRET_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
