"""The app's clock: injected (``app.state.clock``) so tests and simulations control time.

The one clock implementation is payments' (``payments.clock``); the web face uses the same so a
test's ManualClock drives pages, API and switch alike.
"""

from __future__ import annotations

from payments.clock import Clock, ManualClock, SystemClock

__all__ = ["Clock", "ManualClock", "SystemClock"]
