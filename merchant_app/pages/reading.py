"""A read-only session for pages that only show things (GET).

On SQLite the app's ``SessionDep`` begins with BEGIN IMMEDIATE, i.e. takes the one write lock
for the whole request; a dashboard or history page holding it would queue every payment behind
it. Reads begin DEFERRED instead (WAL gives them a consistent snapshot) and are rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from merchant_app.deps import EngineDep


def read_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        yield session
        session.rollback()


ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]
