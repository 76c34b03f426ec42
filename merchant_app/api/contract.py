"""What the OpenAPI schema promises, shared by every API router: error responses and input types.

Each route declares every status it can answer with ``responses=errors(...)``; all of them carry
the one error body of ``merchant_app/errors.py``. The input types below make the schema say
what the code checks (schemathesis' conformance checks hold the two together).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, Field, StrictInt

DESCRIPTIONS = {
    400: "Refused by a rule the schema cannot express (names the field and the rule)",
    401: "No credentials: `Authorization: Bearer <token>` or a login session",
    402: "The payer's balance does not cover the amount",
    403: "Credentials that may not use this route or this object",
    404: "No such object",
    409: "A duplicate, or the current state does not allow it",
    410: "The payment request has expired",
    413: "The body is over the size limit",
    422: "The request does not match this schema",
    429: "Too many requests from this principal; retry later",
    503: "The bank does not answer",
    504: "No answer in time; retry with the same client transfer id",
}
OPERATOR = (401, 403)  # every route behind the operator token (or an official's session)


class ErrorOut(BaseModel):
    """Every error body: a stable code, a message for people, and for 422 the failed fields."""

    error: str
    message: str
    detail: list[dict[str, Any]] | None = None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering these error statuses (422 always included)."""
    return {
        status: {"model": ErrorOut, "description": DESCRIPTIONS[status]}
        for status in sorted({*statuses, 422})
    }


def _integral(value: object) -> object:
    # JSON Schema counts 631.0 as an integer; accept it as 631, still refuse 631.5, "631", true.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Last in an Annotated, after any Field(ge=, le=): a validator before the constraints would
# hide them from the JSON schema.
INTEGRAL = BeforeValidator(_integral)
JsonInt = Annotated[StrictInt, INTEGRAL]
# Directory and request ids: autoincrement, far below this. It is the largest integer a JSON
# reader keeps exact (a float above 2**53 cannot hold every integer, so a schema bound there
# would not mean what the code checks). Larger is a 422, not the driver's OverflowError (500).
ID_MAX = 2**53 - 1
Id = Annotated[StrictInt, Field(ge=1, le=ID_MAX), INTEGRAL]
IdPath = Annotated[int, Path(ge=1, le=ID_MAX)]

_MONTH_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
DAY_PATTERN = r"^(?!0000)\d{4}" + _MONTH_DAY  # Python's dates start in year 1
DAY_2000S_PATTERN = r"^20\d{2}" + _MONTH_DAY  # the days reconciliation accepts: 2000..2099
_DAY = re.compile(DAY_PATTERN)


def _iso_day(value: object) -> object:
    # pydantic would read 0 or "0" as 1970-01-01 (a Unix time); the schema says YYYY-MM-DD.
    if isinstance(value, str) and _DAY.match(value):
        return value
    if isinstance(value, date):
        return value
    raise ValueError("a day is written YYYY-MM-DD")


IsoDay = Annotated[date, BeforeValidator(_iso_day)]


def day_query(alias: str, pattern: str = DAY_PATTERN) -> Any:
    """A ``?<alias>=YYYY-MM-DD`` query parameter (use with ``IsoDay``), its pattern published."""
    return Query(alias=alias, json_schema_extra={"pattern": pattern})
