"""A circuit breaker shared by every worker: when the SMTP server is down, all back off.

A refused or dropped connection trips it; while it is open nobody connects. The
wait doubles with each trip (``base`` up to ``ceiling`` seconds) and returns to
nothing on the first successful connection. Rows waiting on the breaker keep
their attempts: an outage is not the recipient's fault.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class CircuitBreaker:
    """Open after a connection failure for a growing delay; closed again after a success."""

    def __init__(
        self,
        base: float = 0.5,
        ceiling: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self.ceiling = ceiling
        self.clock = clock
        self.delay = 0.0
        self.open_until = 0.0
        self.trips = 0
        self.last_error = ""

    @property
    def is_open(self) -> bool:
        return self.clock() < self.open_until

    def trip(self, error: str = "") -> None:
        """Record a connection failure. Failures while already open do not grow the delay."""
        self.last_error = error
        if self.is_open:
            return
        self.delay = min(self.ceiling, self.delay * 2 if self.delay else self.base)
        self.open_until = self.clock() + self.delay
        self.trips += 1

    def reset(self) -> None:
        """A connection worked: close the breaker and forget the back-off."""
        self.delay = 0.0
        self.open_until = 0.0
        self.last_error = ""

    async def wait(self) -> None:
        """Return once the breaker is closed (at once when it is)."""
        while (remaining := self.open_until - self.clock()) > 0:
            await asyncio.sleep(remaining)
