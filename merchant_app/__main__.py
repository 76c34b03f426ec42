"""``python -m merchant_app`` is the ``marketpay`` command."""

from merchant_app.cli import run

run()
