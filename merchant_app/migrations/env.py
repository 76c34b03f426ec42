"""Alembic environment: the engine comes from the caller (merchant_app.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from merchant_app.schema import all_metadata

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=all_metadata(),
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
