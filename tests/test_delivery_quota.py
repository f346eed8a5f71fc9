"""The rate-limit buckets in the database, shared by every worker."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from linked.delivery.models import RateBucket
from linked.delivery.quota import reserve, shared_limiter
from linked.delivery.ratelimit import buckets_for

R = RateBucket.__table__  # type: ignore[attr-defined]


def _tat(engine: Engine, name: str) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.select(R.c.tat).where(R.c.name == name)).scalar_one())


def test_the_migration_seeds_both_buckets(engine: Engine) -> None:
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(R.c.name, R.c.tat)).all()) == {
            "second": 0.0,
            "hour": 0.0,
        }


def test_a_reservation_returns_delays_and_moves_the_bucket_on(engine: Engine) -> None:
    buckets = buckets_for(per_second=10, per_hour=0)
    before = time.time()
    delays = reserve(engine, buckets, 12)
    assert delays[:10] == pytest.approx([0.0] * 10, abs=0.01)
    assert delays[10:] == pytest.approx([0.1, 0.2], abs=0.02)
    assert _tat(engine, "second") == pytest.approx(before + 1.2, abs=0.5)


def test_concurrent_reservations_never_share_a_slot(engine: Engine) -> None:
    """Four threads on their own connections: every slot advances the bucket exactly once."""
    buckets = buckets_for(per_second=50, per_hour=0)
    reserve(engine, buckets, 50)  # empty the burst so every further slot is one interval
    start = _tat(engine, "second")
    errors: list[BaseException] = []

    def reserver() -> None:
        try:
            for _ in range(20):
                reserve(engine, buckets, 3)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=reserver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # 240 slots at 50/s: the bucket ran 4.8 s on, neither less (a lost update) nor more.
    assert _tat(engine, "second") - start == pytest.approx(240 / 50)


async def test_two_limiters_on_one_database_share_the_rate(engine: Engine) -> None:
    first, second = shared_limiter(engine, 40, 0), shared_limiter(engine, 40, 0)
    started = time.monotonic()
    await asyncio.gather(
        *(first.acquire() for _ in range(40)), *(second.acquire() for _ in range(40))
    )
    # 40 at once, then 40 more at 40/s between them: about a second, not the ~0 s that
    # two separate limits of 40/s would allow.
    assert 0.9 <= time.monotonic() - started < 3


def test_no_limit_needs_no_database(engine: Engine) -> None:
    assert shared_limiter(engine, 0, 0).unlimited
