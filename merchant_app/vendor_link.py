"""Which payments vendor a vendor login acts for (looked up by the vendor's phone)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.tables import vendors


def vendor_id_for_phone(session: Session, phone: str) -> int | None:
    """The id of the vendor registered in the payments directory with ``phone``, if any."""
    found = session.execute(
        select(vendors.c.id).where(vendors.c.phone == phone)
    ).scalar_one_or_none()
    return None if found is None else int(found)
