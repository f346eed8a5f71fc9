"""The token buckets and the circuit breaker, on a fake clock."""

from __future__ import annotations

import asyncio
import time

import pytest

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.ratelimit import RateLimiter, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, capacity=10, clock=clock)
    assert [bucket.take() for _ in range(10)] == [0.0] * 10
    assert bucket.take() == pytest.approx(0.1)
    clock.now += 0.25
    assert bucket.take() == 0.0 and bucket.take() == 0.0
    assert bucket.take() > 0


def test_hourly_bucket_holds_one_minutes_worth() -> None:
    clock = Clock()
    limiter = RateLimiter(per_hour=3600, clock=clock)
    (bucket,) = limiter.buckets
    assert bucket.capacity == 60 and bucket.rate == 1


async def test_limiter_spaces_messages_in_real_time() -> None:
    limiter = RateLimiter(per_second=50)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(75)))
    assert time.monotonic() - started >= 0.45  # 50 at once, 25 more at 50/s


async def test_zero_means_unlimited() -> None:
    limiter = RateLimiter(0, 0)
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
