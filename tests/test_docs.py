"""Docs stay true: every setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from merchant_app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"`MARKETPAY_{field.upper()}`" in (ROOT / "docs" / "SETTINGS.md").read_text()


def test_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block
