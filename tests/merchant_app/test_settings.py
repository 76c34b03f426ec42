"""Bad settings give one clear line naming the setting, exit code 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from merchant_app.app import create_app
from merchant_app.pages.security import SESSION_COOKIE
from merchant_app.settings import ConfigError, load_settings, with_secrets

CASES = {
    "malformed_url": ({"MARKETPAY_DATABASE_URL": "not a url"}, "MARKETPAY_DATABASE_URL"),
    "unsupported_url": ({"MARKETPAY_DATABASE_URL": "mysql://x@y/z"}, "MARKETPAY_DATABASE_URL"),
    "unreachable_postgres": (
        {"MARKETPAY_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"},
        "MARKETPAY_DATABASE_URL",
    ),
    "unwritable_data_dir": ({"MARKETPAY_DATA_DIR": "/proc/marketpay"}, "MARKETPAY_DATA_DIR"),
    "port_not_a_number": ({"MARKETPAY_PORT": "eighty"}, "MARKETPAY_PORT"),
}


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPAY_")}
    return subprocess.run(
        [sys.executable, "-m", "merchant_app", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_setting_gives_one_line_and_exit_2(case: str, tmp_path: Path) -> None:
    env, setting = CASES[case]
    env = {"MARKETPAY_DATA_DIR": str(tmp_path / "data"), **env}
    result = _cli(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert "Traceback" not in result.stderr


def test_settings_command_masks_secrets(tmp_path: Path) -> None:
    env = {
        "MARKETPAY_DATA_DIR": str(tmp_path),
        "MARKETPAY_SECRET_KEY": "s3cret-value-xyz",
        "MARKETPAY_DATABASE_URL": "postgresql+psycopg://app:hunter2@127.0.0.1:5432/test",
    }
    result = _cli(["settings"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "s3cret-value-xyz" not in result.stdout
    assert "hunter2" not in result.stdout
    assert "MARKETPAY_SECRET_KEY=********" in result.stdout
    assert "MARKETPAY_DATABASE_URL=postgresql+psycopg://app:***@127.0.0.1:5432/test" in (
        result.stdout
    )


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/marketpay.db"


def test_secrets_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = with_secrets(load_settings(data_dir=tmp_path))
    second = with_secrets(load_settings(data_dir=tmp_path))
    assert first.operator_token is not None
    assert second.operator_token is not None
    assert first.operator_token.get_secret_value() == second.operator_token.get_secret_value()
    assert len(first.operator_token.get_secret_value()) >= 32
    assert (tmp_path / "operator_token.txt").stat().st_mode & 0o077 == 0


def test_given_secret_is_not_replaced(tmp_path: Path) -> None:
    settings = with_secrets(load_settings(data_dir=tmp_path, operator_token="given-token"))
    assert settings.operator_token is not None
    assert settings.operator_token.get_secret_value() == "given-token"
    assert not (tmp_path / "operator_token.txt").exists()


def test_config_error_names_setting() -> None:
    with pytest.raises(ConfigError, match="MARKETPAY_LOG_LEVEL"):
        load_settings(log_level="loud")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["serve", "--port", "abc"], "--port"),
        (["no-such-command"], "No such command"),
    ],
)
def test_cli_usage_errors_are_one_line_exit_2(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    result = _cli(args, {"MARKETPAY_DATA_DIR": str(tmp_path)}, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr


@pytest.mark.parametrize("secure", [False, True])
def test_secure_cookie_setting_marks_the_session_cookie(secure: bool, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a.db"
    settings = load_settings(data_dir=tmp_path, database_url=url, secure_cookie=secure)
    base_url = "https://testserver" if secure else "http://testserver"
    with TestClient(create_app(settings), base_url=base_url) as client:
        cookie = client.get("/login").headers["set-cookie"]  # the CSRF token lives in the session
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert ("; secure" in cookie.lower()) is secure
