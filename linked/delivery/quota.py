"""The rate-limit buckets in the database, so every worker on every machine shares them.

:func:`shared_limiter` gives a :class:`~linked.delivery.ratelimit.RateLimiter` whose
reservations are one short transaction on the ``rate_bucket`` rows: lock them, read
the database's clock, schedule the next slots, write the new ``tat`` back. Times
come from the database server's clock (PostgreSQL's ``clock_timestamp()``) and go
back to the worker as delays, so clocks that differ between machines do not matter.
SQLite has no server: its clock is this machine's, which is the only one using it.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from linked.delivery.models import RateBucket
from linked.delivery.ratelimit import Bucket, RateLimiter, buckets_for, chunk_for, schedule

R = RateBucket.__table__  # type: ignore[attr-defined]


def _clock(conn: Connection) -> float:
    if conn.dialect.name == "postgresql":
        return float(
            conn.execute(sa.text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one()
        )
    return time.time()


def reserve(engine: Engine, buckets: list[Bucket], count: int) -> list[float]:
    """Reserve the next ``count`` slots of ``buckets``; return each one's delay in seconds."""
    names = [bucket.name for bucket in buckets]
    with engine.begin() as conn:
        # A write first: it takes the row locks (the write lock on SQLite) before the read,
        # so two workers can never read the same ``tat``.
        conn.execute(R.update().where(R.c.name.in_(names)).values(tat=R.c.tat))
        tats = {
            name: float(tat)
            for name, tat in conn.execute(sa.select(R.c.name, R.c.tat).where(R.c.name.in_(names)))
        }
        missing = [{"name": name, "tat": 0.0} for name in names if name not in tats]
        if missing:  # a bucket the migration did not seed
            conn.execute(R.insert(), missing)
        now = _clock(conn)
        times, state = schedule(buckets, tats, now, count)
        conn.execute(
            R.update().where(R.c.name == sa.bindparam("_name")).values(tat=sa.bindparam("tat")),
            [{"_name": name, "tat": tat} for name, tat in state.items()],
        )
    return [max(0.0, at - now) for at in times]


def shared_limiter(engine: Engine, per_second: float, per_hour: float) -> RateLimiter:
    """A limiter on the database's buckets; unlimited (no database work) when both are 0."""
    buckets = buckets_for(per_second, per_hour)
    if not buckets:
        return RateLimiter()
    return RateLimiter(lambda count: reserve(engine, buckets, count), chunk=chunk_for(buckets))
