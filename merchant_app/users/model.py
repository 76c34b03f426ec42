"""The user as the rest of the app sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    VENDOR = "vendor"
    OFFICIAL = "official"
    OPERATOR = "operator"


@dataclass(frozen=True)
class User:
    id: int
    phone: str
    role: Role
    display_name: str
    vendor_id: int | None
    created_at: datetime
