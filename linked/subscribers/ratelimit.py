"""Sliding-window rate limits kept in the database, so every process shares the counts."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from linked.subscribers.models import RateLimitHit, utcnow

SUBSCRIBE_PER_IP = "subscribe-ip"
CONFIRM_MAIL_PER_ADDRESS = "confirm-mail"

IP_WINDOW = timedelta(hours=1)
ADDRESS_WINDOW = timedelta(days=1)


def hashed(value: str) -> str:
    """Store a digest, not the IP or address itself (the table is not personal data)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def allow(
    session: Session,
    bucket: str,
    value: str,
    limit: int,
    window: timedelta,
    now: datetime | None = None,
) -> bool:
    """Count one action for ``value`` if fewer than ``limit`` happened within ``window``.

    Returns False (and counts nothing) when the limit is reached.
    """
    now = now or utcnow()
    key = hashed(value)
    since = now - window
    # Forget hits that fell out of the window, so the table stays small.
    session.execute(
        delete(RateLimitHit).where(
            col(RateLimitHit.bucket) == bucket,
            col(RateLimitHit.key) == key,
            col(RateLimitHit.at) < since,
        )
    )
    used = session.exec(
        select(func.count())
        .select_from(RateLimitHit)
        .where(col(RateLimitHit.bucket) == bucket, col(RateLimitHit.key) == key)
    ).one()
    if used >= limit:
        return False
    session.add(RateLimitHit(bucket=bucket, key=key, at=now))
    return True
