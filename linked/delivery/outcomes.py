"""Write how each attempt ended: a row's next state, its back-off, and hard bounces.

The engine's :class:`~linked.delivery.recorder.Recorder` batches outcomes and
calls :func:`record` from a worker thread, one transaction per batch. A temporary
refusal defers the row with exponential back-off; a permanent one fails it, and a
5.1.x reply (bad mailbox) records a hard bounce for the subscriber in the same
transaction. The UPDATE is compiled once per dialect and run with the driver's own
parameters (:func:`_record_driver_statement`): building it cost more than running it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from linked.delivery.models import Delivery, DeliveryState, utcnow
from linked.delivery.store import Job
from linked.subscribers.service import record_bounce
from linked.subscribers.status import BounceKind

D = DeliveryState
T = Delivery.__table__  # type: ignore[attr-defined]
#: A permanent reply with an enhanced status 5.1.x (bad mailbox or address) is a hard bounce.
HARD_BOUNCE = re.compile(r"\b5\.1\.\d{1,3}\b")
#: Longest wait between tries of a deferred row, whatever the attempt count.
MAX_BACKOFF = timedelta(hours=6)


class OutcomeKind(StrEnum):
    """How one attempt ended: accepted, refused for now (4xx), or refused for good (5xx)."""

    sent = "sent"
    temporary = "temporary"
    permanent = "permanent"


@dataclass(frozen=True)
class Outcome:
    """What happened to one job (see :class:`OutcomeKind`)."""

    kind: OutcomeKind
    reply: str = ""
    code: int | None = None

    @property
    def hard_bounce(self) -> bool:
        return self.kind == OutcomeKind.permanent and bool(HARD_BOUNCE.search(self.reply))


def backoff(base_seconds: float, attempts: int) -> timedelta:
    """Exponential back-off: ``base``, ``2·base``, ``4·base``… capped at six hours."""
    return min(MAX_BACKOFF, timedelta(seconds=base_seconds * 2 ** max(0, attempts - 1)))


@functools.cache
def _record_statement() -> sa.Update:
    """The UPDATE :func:`record` runs, built once: building it cost more than running it."""
    statement: sa.Update = (
        T.update()
        .where(T.c.id == sa.bindparam("_id"))
        .values(
            state=sa.bindparam("state"),
            attempts=sa.bindparam("attempts"),
            next_attempt_at=sa.bindparam("next_attempt_at"),
            last_code=sa.bindparam("last_code"),
            last_reply=sa.bindparam("last_reply"),
            permanent=sa.bindparam("permanent"),
            sent_at=sa.bindparam("sent_at"),
            lease_owner=sa.bindparam("lease_owner"),
            lease_until=sa.bindparam("lease_until"),
            updated_at=sa.bindparam("_now", type_=T.c.updated_at.type),
        )
    )
    return statement


@dataclass(frozen=True)
class _DriverStatement:
    """A statement compiled once for one dialect, run with the driver's own parameters."""

    sql: str
    #: The bind names in order for a positional paramstyle (SQLite's ``?``), else None.
    order: tuple[str, ...] | None
    processors: dict[str, Callable[[object], object]]

    def run(self, conn: Connection, rows: list[dict[str, object]]) -> None:
        """Execute for every row, its values converted as SQLAlchemy would convert them."""
        processors = self.processors.items()
        for row in rows:
            for name, process in processors:
                row[name] = process(row[name])
        if self.order is None:
            conn.exec_driver_sql(self.sql, rows)
        else:
            order = self.order
            conn.exec_driver_sql(self.sql, [tuple(row[n] for n in order) for row in rows])


@functools.lru_cache(maxsize=8)
def _record_driver_statement(dialect: Dialect) -> _DriverStatement:
    """:func:`_record_statement` for ``dialect``: per row, SQLAlchemy's parameter handling
    cost about as much as the UPDATE itself (~100 µs for a batch of 8)."""
    compiled = _record_statement().compile(dialect=dialect)
    processors: dict[str, Callable[[object], object]] = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return _DriverStatement(compiled.string, order, processors)


def record(
    engine: Engine,
    results: Sequence[tuple[Job, Outcome]],
    *,
    max_attempts: int,
    retry_base_seconds: float,
) -> Counter[str]:
    """Write the outcome of each job in one transaction; return the count per new state.

    A temporary failure defers the row with back-off until ``max_attempts``, then
    fails it; a permanent one fails it, and a 5.1.x reply records a hard bounce for
    the subscriber.
    """
    now = utcnow()
    params: list[dict[str, object]] = []
    counts: Counter[str] = Counter()
    bounces: list[str] = []
    for job, outcome in results:
        attempts = job.attempts + 1
        values: dict[str, object] = {
            "_id": job.id,
            "state": D.sent,
            "attempts": attempts,
            "next_attempt_at": None,
            "last_code": outcome.code,
            "last_reply": outcome.reply[:500] or None,
            "permanent": False,
            "sent_at": None,
            "_now": now,
            "lease_owner": None,
            "lease_until": None,
        }
        if outcome.kind == OutcomeKind.sent:
            values["sent_at"] = now
        elif outcome.kind == OutcomeKind.permanent:
            values.update(state=D.failed, permanent=True)
            if outcome.hard_bounce:
                bounces.append(job.email)
        elif attempts >= max_attempts:
            values["state"] = D.failed
        else:
            values.update(
                state=D.deferred, next_attempt_at=now + backoff(retry_base_seconds, attempts)
            )
        counts[str(values["state"])] += 1
        params.append(values)
    if not params:
        return counts
    statement = _record_driver_statement(engine.dialect)
    if not bounces:  # the common case: plain Core, no ORM session to build
        with engine.begin() as conn:
            statement.run(conn, params)
        return counts
    with Session(engine) as session:
        statement.run(session.connection(), params)
        for email in bounces:
            record_bounce(session, email, BounceKind.hard)
        session.commit()
    return counts
