"""A token-bucket rate limit shared by every connection of the pool.

Two buckets, per second and per hour (0 = unlimited). A message takes one token
from each. The per-second bucket holds one second's worth, so no second sees more
than twice the rate; the per-hour bucket holds one minute's worth, so no hour
sees more than ``rate_per_hour × 61/60``: a relay's hourly quota is respected
smoothly instead of being spent in the first minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens a second, holding at most ``capacity``; starts full."""

    def __init__(
        self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = capacity
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> float:
        """Take a token if there is one and return 0, else return the seconds to wait."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """Await :meth:`acquire` before each message; callers are served in arrival order."""

    def __init__(
        self,
        per_second: float = 0,
        per_hour: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.buckets: list[TokenBucket] = []
        if per_second > 0:
            self.buckets.append(TokenBucket(per_second, max(1.0, per_second), clock))
        if per_hour > 0:
            self.buckets.append(TokenBucket(per_hour / 3600, max(1.0, per_hour / 60), clock))
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return not self.buckets

    async def acquire(self) -> None:
        """Wait until every bucket has a token, then take one from each."""
        if not self.buckets:
            return
        async with self._lock:  # one waiter at a time keeps the order fair
            for bucket in self.buckets:
                while (wait := bucket.take()) > 0:
                    await asyncio.sleep(wait)
