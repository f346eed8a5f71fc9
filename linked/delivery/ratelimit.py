"""Rate limits shared by every connection of every worker: token buckets kept as GCRA.

Two buckets, per second and per hour (0 = unlimited). The per-second bucket holds
one second's worth, so no second sees more than twice the rate; the per-hour bucket
holds one minute's worth, so no hour sees more than ``rate_per_hour × 61/60``: a
relay's hourly quota is respected smoothly instead of being spent in the first minute.

A bucket is one number, its *theoretical arrival time* (``tat``, the generic cell
rate algorithm): the time from which it is empty. Giving out a slot moves ``tat`` one
interval on. Because the state is a single number it lives in the database
(:mod:`linked.delivery.quota`), and every worker process on every machine reserves
slots from the same rows, a few at a time: the limit is global, not per worker.

On top of these, :class:`~linked.delivery.pace.Pace` slows the send down when the relay
answers with rate-limit replies (``RateLimiter.pace``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from linked.delivery.pace import Pace

#: A reservation: ``reserve(count)`` returns ``count`` delays in seconds from now.
Reserve = Callable[[int], Sequence[float]]
#: How many seconds of sending one reservation may cover (bounds a worker's head start).
CHUNK_SECONDS = 0.05
MAX_CHUNK = 50


@dataclass(frozen=True)
class Bucket:
    """One slot every ``interval`` seconds, at most ``capacity`` at once."""

    name: str
    interval: float
    capacity: float

    @property
    def tolerance(self) -> float:
        """How far ``tat`` may run ahead of now while slots are still free (the burst)."""
        return (self.capacity - 1) * self.interval


def buckets_for(per_second: float, per_hour: float) -> list[Bucket]:
    """The buckets for the settings' limits, coarsest first; empty when unlimited."""
    buckets = []
    if per_hour > 0:
        buckets.append(Bucket("hour", 3600 / per_hour, max(1.0, per_hour / 60)))
    if per_second > 0:
        buckets.append(Bucket("second", 1 / per_second, max(1.0, per_second)))
    return buckets


def schedule(
    buckets: Sequence[Bucket], tats: Mapping[str, float], now: float, count: int
) -> tuple[list[float], dict[str, float]]:
    """The times of the next ``count`` messages and the buckets' new ``tat``.

    Each message goes at the earliest time every bucket allows; a finer bucket
    schedules from the time the coarser one gave, so its state follows real sends.
    """
    state = {bucket.name: tats.get(bucket.name, 0.0) for bucket in buckets}
    times = []
    for _ in range(count):
        at = now
        for bucket in buckets:
            tat = state[bucket.name]
            at = max(at, tat - bucket.tolerance)
            state[bucket.name] = max(tat, at) + bucket.interval
        times.append(at)
    return times, state


def chunk_for(buckets: Sequence[Bucket]) -> int:
    """Slots per reservation: about ``CHUNK_SECONDS`` of the fastest rate, 1 to ``MAX_CHUNK``."""
    if not buckets:
        return 1
    fastest = min(bucket.interval for bucket in buckets)
    return max(1, min(MAX_CHUNK, int(CHUNK_SECONDS / fastest)))


class RateLimiter:
    """Await :meth:`acquire` before each message; ``reserve`` None means no limit.

    Slots are reserved ``chunk`` at a time (one database round trip) and handed out
    in order; a slot not used (pause, shutdown) is simply lost, which can only slow
    the send down.
    """

    def __init__(
        self,
        reserve: Reserve | None = None,
        *,
        chunk: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reserve = reserve
        self.chunk = max(1, chunk)
        self.clock = clock
        self.pace = Pace()
        self._slots: deque[float] = deque()
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return self.reserve is None and not self.pace.active

    def describe(self) -> str:
        """The rate in use and why; empty when nothing limits it."""
        return self.pace.describe()

    async def acquire(self) -> None:
        """Wait for this message's slot."""
        if self.pace.active:
            await self.pace.wait()
        if self.reserve is None:
            return
        async with self._lock:  # one reservation at a time keeps slots in order
            if not self._slots:
                delays = await asyncio.to_thread(self.reserve, self.chunk)
                # Counted from after the round trip: the wait errs on the slow side.
                start = self.clock()
                self._slots.extend(start + delay for delay in delays)
            at = self._slots.popleft()
        if (wait := at - self.clock()) > 0:
            await asyncio.sleep(wait)
