"""Named fixtures for payments tests (factories in ``world.py``, imported when first used so
that the subpackages' tests do not depend on them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from payments.clock import ManualClock

if TYPE_CHECKING:
    from tests.payments.world import Stall, World


@pytest.fixture
def clock() -> ManualClock:
    from tests.payments.world import START

    return ManualClock(START)


@pytest.fixture
def world(db: Engine, clock: ManualClock) -> World:
    from tests.payments.world import make_world

    return make_world(db, clock)


@pytest.fixture
def vendor_with_two_banks(world: World) -> Stall:
    from tests.payments.world import make_vendor

    return make_vendor(world)


@pytest.fixture
def funded_buyer(world: World) -> tuple[str, str]:
    from tests.payments.world import VIETCOMBANK, make_buyer

    return make_buyer(world, VIETCOMBANK, "0011001234567")
