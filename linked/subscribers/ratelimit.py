"""Rate limits kept in the database, so every process shares the counts.

Each key (a hashed IP or address) has one counter row per bucket, changed by a
single ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` on SQLite and
PostgreSQL alike: the database checks and counts in one step under the row's lock,
so fifty simultaneous requests get exactly ``limit`` yeses. A window starts at the
first action counted in it and lasts ``window``; the next action after that starts
a new one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from linked.subscribers import statements
from linked.subscribers.models import RateCounter, utcnow

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
    """Count one action for ``value`` if fewer than ``limit`` happened in its window.

    Returns False (and counts nothing) when the limit is reached. One statement:
    safe under any concurrency, in the caller's transaction.
    """
    now = now or utcnow()
    connection = session.connection()
    statement = statements.count_action(connection.dialect.name)
    params = {
        "p_bucket": bucket,
        "p_key": hashed(value),
        "p_now": now,
        "p_since": now - window,
        "p_limit": limit,
    }
    return connection.execute(statement, params).first() is not None


def prune(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete counters whose window started before ``older_than`` ago; return how many."""
    since = (now or utcnow()) - older_than
    result = session.execute(delete(RateCounter).where(col(RateCounter.window_start) < since))
    return int(getattr(result, "rowcount", 0) or 0)
