"""The sign-up path's SQL, built once: Core statements with bound parameters.

A sign-up rush runs these hundreds of times a second; building a statement and
flushing ORM objects each time cost more than the database work itself. Built
once, SQLAlchemy compiles each statement once and only binds values per request.
Bound parameter names start with ``p_`` (a name equal to a column is reserved).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from linked.db import upsert
from linked.subscribers.models import ConsentEvent, RateCounter, Subscriber

SUBSCRIBER: sa.Table = Subscriber.__table__  # type: ignore[attr-defined]
EVENT: sa.Table = ConsentEvent.__table__  # type: ignore[attr-defined]
COUNTER: sa.Table = RateCounter.__table__  # type: ignore[attr-defined]
_WHEN = sa.DateTime(timezone=True)

#: The subscriber with an address key: what sign-up needs to decide.
FIND = sa.select(SUBSCRIBER.c.id, SUBSCRIBER.c.email, SUBSCRIBER.c.name, SUBSCRIBER.c.status).where(
    SUBSCRIBER.c.email_key == sa.bindparam("p_key")
)

#: A new subscriber; returns its id.
INSERT_SUBSCRIBER = sa.insert(SUBSCRIBER).returning(SUBSCRIBER.c.id)

#: One consent event; returns its id (a confirm link's generation, when it made one pending).
INSERT_EVENT = sa.insert(EVENT).returning(EVENT.c.id)

#: Someone who had left (or bounced) asks again: pending, with where they asked from.
BACK_TO_PENDING = (
    sa.update(SUBSCRIBER)
    .where(SUBSCRIBER.c.id == sa.bindparam("p_id"))
    .values(
        status=sa.bindparam("p_status"),
        updated_at=sa.bindparam("p_now", type_=_WHEN),
        source=sa.bindparam("p_source"),
        ip=sa.bindparam("p_ip"),
        name=sa.bindparam("p_name"),
    )
)

#: A pending subscriber gave a name for the first time.
SET_NAME = (
    sa.update(SUBSCRIBER)
    .where(SUBSCRIBER.c.id == sa.bindparam("p_id"))
    .values(name=sa.bindparam("p_name"))
)

#: One more confirmation mail counted, in one statement (no lost update).
COUNT_CONFIRMATION = (
    sa.update(SUBSCRIBER)
    .where(SUBSCRIBER.c.id == sa.bindparam("p_id"))
    .values(
        confirmations_sent=SUBSCRIBER.c.confirmations_sent + 1,
        confirmation_sent_at=sa.bindparam("p_now", type_=_WHEN),
    )
)


@functools.cache
def count_action(dialect: str) -> Any:
    """Count one action in a rate counter unless its limit is reached; returns ``used``.

    ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING``: no row comes back when
    the limit is reached. Parameters: ``p_bucket``, ``p_key``, ``p_now``, ``p_since``
    (window start that has expired), ``p_limit``.
    """
    now = sa.bindparam("p_now", type_=_WHEN)
    expired = COUNTER.c.window_start <= sa.bindparam("p_since", type_=_WHEN)
    return (
        upsert.insert(COUNTER, dialect)
        .values(
            bucket=sa.bindparam("p_bucket"), key=sa.bindparam("p_key"), window_start=now, used=1
        )
        .on_conflict_do_update(
            index_elements=[COUNTER.c.bucket, COUNTER.c.key],
            set_={
                "used": sa.case((expired, 1), else_=COUNTER.c.used + 1),
                "window_start": sa.case((expired, now), else_=COUNTER.c.window_start),
            },
            where=sa.or_(expired, COUNTER.c.used < sa.bindparam("p_limit", type_=sa.Integer)),
        )
        .returning(COUNTER.c.used)
    )
