"""The rate-limit schedule (GCRA buckets) and the circuit breaker, on a fake clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.ratelimit import RateLimiter, buckets_for, chunk_for, schedule


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_of_its_capacity_then_the_rate() -> None:
    (second,) = buckets_for(per_second=10, per_hour=0)
    times, tats = schedule([second], {}, now=1000.0, count=13)
    assert times[:10] == pytest.approx([1000.0] * 10)
    assert times[10:] == pytest.approx([1000.1, 1000.2, 1000.3])
    assert tats["second"] == pytest.approx(1001.3)
    # A quarter of a second after the last slot, two are free again and the third waits;
    # a second after it the bucket is full.
    later, _ = schedule([second], tats, now=1000.55, count=3)
    assert later == pytest.approx([1000.55, 1000.55, 1000.6])
    full, _ = schedule([second], tats, now=1001.3, count=11)
    assert full == pytest.approx([1001.3] * 10 + [1001.4])


def test_the_hourly_bucket_holds_one_minutes_worth() -> None:
    (hour,) = buckets_for(per_second=0, per_hour=3600)
    assert (hour.capacity, hour.interval) == (60, 1)
    times, _ = schedule([hour], {}, now=0.0, count=62)
    assert times[59] == pytest.approx(0.0) and times[60:] == pytest.approx([1.0, 2.0])


def test_both_buckets_hold_and_the_coarser_one_goes_first() -> None:
    buckets = buckets_for(per_second=100, per_hour=360)  # 1 every 10 s after 6 at once
    assert [b.name for b in buckets] == ["hour", "second"]
    times, tats = schedule(buckets, {}, now=0.0, count=8)
    assert times == pytest.approx([0, 0, 0, 0, 0, 0, 10, 20])
    assert tats["second"] == pytest.approx(20.01)


def test_slots_a_reservation_covers() -> None:
    assert chunk_for(buckets_for(1000, 0)) == 50
    assert chunk_for(buckets_for(200, 0)) == 10
    assert chunk_for(buckets_for(5, 0)) == 1
    assert chunk_for(buckets_for(0, 100)) == 1
    assert buckets_for(0, 0) == []


def _in_memory(per_second: float) -> tuple[RateLimiter, list[int]]:
    """A limiter reserving from a bucket in this process; records the chunk sizes asked."""
    buckets = buckets_for(per_second, 0)
    tats: dict[str, float] = {}
    asked: list[int] = []

    def reserve(count: int) -> Sequence[float]:
        asked.append(count)
        now = time.monotonic()
        times, new = schedule(buckets, tats, now, count)
        tats.update(new)
        return [max(0.0, at - now) for at in times]

    return RateLimiter(reserve, chunk=chunk_for(buckets)), asked


async def test_limiter_spaces_messages_in_real_time() -> None:
    limiter, asked = _in_memory(per_second=50)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(75)))
    assert time.monotonic() - started >= 0.45  # 50 at once, 25 more at 50/s
    # Slots come 2 at a time (50/s × 0.05 s); the last one of the last pair is left unused.
    assert set(asked) == {2} and sum(asked) == 76


async def test_no_reserve_means_unlimited() -> None:
    limiter = RateLimiter()
    assert limiter.unlimited
    await asyncio.wait_for(asyncio.gather(*(limiter.acquire() for _ in range(10_000))), 2)


def test_breaker_backs_off_exponentially_and_resets() -> None:
    clock = Clock()
    breaker = CircuitBreaker(base=1, ceiling=4, clock=clock)
    breaker.trip("refused")
    assert breaker.is_open and breaker.delay == 1
    breaker.trip("refused again")  # while open: same window
    assert breaker.delay == 1
    clock.now += 1.01
    breaker.trip()
    assert breaker.delay == 2
    clock.now += 2.01
    breaker.trip()
    clock.now += 4.01
    breaker.trip()
    assert breaker.delay == 4  # the ceiling
    breaker.reset()
    assert not breaker.is_open and breaker.delay == 0
