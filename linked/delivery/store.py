"""Every change of a delivery row's state, each in one short transaction.

The engine calls these from a worker thread (``asyncio.to_thread``). They use
SQLAlchemy Core on the ``delivery`` table, because the engine moves rows in
batches and ORM objects would only cost memory. The same statements run on
SQLite and PostgreSQL; on PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so
any number of worker processes can share a send.

Recording how an attempt ended is :mod:`linked.delivery.outcomes`; lease owner names
and their liveness are :mod:`linked.delivery.owners`; read-only numbers for people
(``linked status``) are :mod:`linked.delivery.report`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from linked.delivery.models import OPEN_STATES, Delivery, DeliveryState, Send, SendStatus, utcnow
from linked.delivery.owners import owner_gone
from linked.subscribers.models import Subscriber, SubscriberStatus

D = DeliveryState
T = Delivery.__table__  # type: ignore[attr-defined]
SUB = Subscriber.__table__  # type: ignore[attr-defined]
S = Send.__table__  # type: ignore[attr-defined]


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """A transaction of its own on an engine; on a connection, the caller's (it commits).

    So a status change can commit with the audit event that records it
    (:func:`linked.delivery.controls.pause_send`), and the engine's calls stay one-liners.
    """
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn


@dataclass(frozen=True)
class Job:
    """A claimed row: everything a worker needs to personalise and send one message."""

    id: int
    subscriber_id: int
    email: str
    name: str | None
    attempts: int


def _claimable(
    edition: str | sa.BindParameter[str], now: datetime | sa.BindParameter[datetime]
) -> sa.ColumnElement[bool]:
    return sa.and_(
        T.c.edition == edition,
        sa.or_(
            T.c.state == D.queued,
            sa.and_(T.c.state == D.deferred, T.c.next_attempt_at <= now),
            # The crash rule: a claim nobody renewed is free again (see linked.delivery.engine).
            sa.and_(T.c.state == D.sending, T.c.lease_until < now),
        ),
    )


def _due(edition: str, now: datetime, limit: int, dialect: str) -> sa.Select[tuple[int]]:
    """The ids of the first ``limit`` claimable rows (:func:`_claimable`), lowest first."""
    return _due_statement(dialect).params(b_edition=edition, b_now=now, b_limit=limit)


@functools.lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> sa.UpdateBase:
    """The claim's UPDATE … RETURNING, built once; parameters as :func:`claim` gives them."""
    statement: sa.UpdateBase = (
        T.update()
        .where(T.c.id.in_(_due_statement(dialect)))
        .values(
            state=D.sending,
            lease_owner=sa.bindparam("b_owner", type_=T.c.lease_owner.type),
            lease_until=sa.bindparam("b_lease_until", type_=T.c.lease_until.type),
            updated_at=sa.bindparam("b_updated_at", type_=T.c.updated_at.type),
        )
        .returning(T.c.id, T.c.subscriber_id, T.c.email, T.c.attempts)
    )
    return statement


@functools.lru_cache(maxsize=4)
def _due_statement(dialect: str) -> sa.Select[tuple[int]]:
    """:func:`_due` with ``edition``, ``now`` and ``limit`` as parameters, built once.

    On SQLite the one ``OR`` query only narrows by edition through ``ix_delivery_claim``,
    then reads every row of the send and sorts them: each claim cost a scan of the whole
    send (~5 ms for 20,000 rows, O(N²) over a send). There the same set is the union of
    one query per kind of claimable row, each able to search the index; queued rows
    (``next_attempt_at`` null: every one never deferred) come in id order straight from
    it, so the first ``limit`` are read and no more. PostgreSQL keeps the single query,
    which its planner serves well and which ``FOR UPDATE SKIP LOCKED`` needs.
    """
    # Not named after columns: an UPDATE reserves those names for its SET clause.
    edition = sa.bindparam("b_edition", type_=T.c.edition.type)
    now = sa.bindparam("b_now", type_=T.c.updated_at.type)
    limit = sa.bindparam("b_limit", type_=sa.Integer)
    if dialect != "sqlite":
        return (
            sa.select(T.c.id)
            .where(_claimable(edition, now))
            .order_by(T.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    mine = T.c.edition == edition
    kinds = (
        sa.and_(T.c.state == D.queued, T.c.next_attempt_at.is_(None)),
        sa.and_(T.c.state == D.queued, T.c.next_attempt_at.is_not(None)),
        sa.and_(T.c.state == D.deferred, T.c.next_attempt_at <= now),
        sa.and_(T.c.state == D.sending, T.c.lease_until < now),
    )
    parts = [
        sa.select(T.c.id).where(mine, kind).order_by(T.c.id).limit(limit).subquery()
        for kind in kinds
    ]
    every = sa.union_all(*[sa.select(part.c.id) for part in parts]).subquery()
    return sa.select(every.c.id).order_by(every.c.id).limit(limit)


def claim(engine: Engine, edition: str, owner: str, limit: int, lease_seconds: float) -> list[Job]:
    """Mark up to ``limit`` due rows ``sending`` under ``owner``'s lease and return them.

    Rows whose subscriber is no longer confirmed become ``skipped`` in the same
    transaction and are not returned. The commit happens before any of the
    returned rows can go on the wire.
    """
    now = utcnow()
    with engine.begin() as conn:
        rows = conn.execute(
            _claim_statement(engine.dialect.name),
            {
                "b_edition": edition,
                "b_now": now,
                "b_limit": limit,
                "b_owner": owner,
                "b_lease_until": now + timedelta(seconds=lease_seconds),
                "b_updated_at": now,
            },
        ).all()
        if not rows:
            return []
        people = {
            sid: (status, name)
            for sid, status, name in conn.execute(
                sa.select(SUB.c.id, SUB.c.status, SUB.c.name).where(
                    SUB.c.id.in_([r.subscriber_id for r in rows])
                )
            )
        }
        jobs, skipped = [], []
        for row in sorted(rows, key=lambda r: r.id):
            status, name = people.get(row.subscriber_id, (None, None))
            if status == SubscriberStatus.confirmed:
                jobs.append(Job(row.id, row.subscriber_id, row.email, name, row.attempts))
            else:
                skipped.append(row.id)
        if skipped:
            conn.execute(
                T.update()
                .where(T.c.id.in_(skipped))
                .values(
                    state=D.skipped,
                    last_reply="subscriber no longer confirmed",
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
    return jobs


def release(engine: Engine, owner: str, ids: Sequence[int]) -> None:
    """Give back claimed rows that were never sent (pause, shutdown): ``sending`` → ``queued``."""
    if not ids:
        return
    with engine.begin() as conn:
        conn.execute(
            T.update()
            .where(T.c.id.in_(list(ids)), T.c.state == D.sending, T.c.lease_owner == owner)
            .values(state=D.queued, lease_owner=None, lease_until=None, updated_at=utcnow())
        )


def renew(engine: Engine, owner: str, lease_seconds: float) -> None:
    """Extend every lease ``owner`` holds, so a long send keeps its claims."""
    with engine.begin() as conn:
        conn.execute(
            T.update()
            .where(T.c.lease_owner == owner, T.c.state == D.sending)
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        )


def recover(engine: Engine, edition: str) -> int:
    """Re-queue ``sending`` rows whose owner died on this host; return how many.

    Rows owned by another host wait for their lease to expire instead (the claim
    picks them up then). Either way such a row is sent again: that is the one
    place a duplicate can come from.
    """
    with engine.begin() as conn:
        owners = [
            owner
            for (owner,) in conn.execute(
                sa.select(T.c.lease_owner)
                .where(T.c.edition == edition, T.c.state == D.sending)
                .distinct()
            )
        ]
        dead = [owner for owner in owners if owner_gone(owner)]
        if not dead:
            return 0
        result = conn.execute(
            T.update()
            .where(
                T.c.edition == edition,
                T.c.state == D.sending,
                sa.or_(T.c.lease_owner.in_([o for o in dead if o]), T.c.lease_owner.is_(None)),
            )
            .values(state=D.queued, lease_owner=None, lease_until=None, updated_at=utcnow())
        )
        return int(result.rowcount)


def next_due(engine: Engine, edition: str) -> datetime | None:
    """When the earliest deferred row is due, or None when there is none."""
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(sa.func.min(T.c.next_attempt_at)).where(
                T.c.edition == edition, T.c.state == D.deferred
            )
        ).scalar()
    return value if isinstance(value, datetime) else None


def requeue_temporary(bind: Engine | Connection, edition: str) -> int:
    """``linked retry``: deferred rows and rows failed by 4xx replies go back to ``queued``."""
    with _transaction(bind) as conn:
        result = conn.execute(
            T.update()
            .where(
                T.c.edition == edition,
                sa.or_(
                    T.c.state == D.deferred,
                    sa.and_(T.c.state == D.failed, T.c.permanent.is_(False)),
                ),
            )
            .values(state=D.queued, attempts=0, next_attempt_at=None, updated_at=utcnow())
        )
        return int(result.rowcount)


def send_status(bind: Engine | Connection, edition: str) -> SendStatus | None:
    """The ``send.status`` of an edition, or None when it has no send."""
    with _transaction(bind) as conn:
        value = conn.execute(sa.select(S.c.status).where(S.c.edition == edition)).scalar()
    return SendStatus(value) if value is not None else None


def sends_to_resume(engine: Engine) -> list[str]:
    """Editions whose send is ``running`` with rows queued, sending or deferred, oldest first."""
    left = sa.select(T.c.id).where(T.c.edition == S.c.edition, T.c.state.in_(OPEN_STATES))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(S.c.edition)
            .where(S.c.status == SendStatus.running, left.exists())
            .order_by(S.c.id)
        )
        return [str(r[0]) for r in rows]


def set_send_status(bind: Engine | Connection, edition: str, status: SendStatus) -> bool:
    """Set ``send.status``; stamps ``started_at``/``finished_at``. False when there is no send."""
    now = utcnow()
    values: dict[str, object] = {"status": status, "updated_at": now}
    if status == SendStatus.running:
        values["started_at"] = sa.func.coalesce(S.c.started_at, now)
        values["finished_at"] = None
    elif status == SendStatus.done:
        values["finished_at"] = now
    with _transaction(bind) as conn:
        result = conn.execute(S.update().where(S.c.edition == edition).values(**values))
        return bool(result.rowcount)


def set_pacing(engine: Engine, edition: str, pacing: str) -> None:
    """Record the connections and rate a running send uses, and why (see the engine)."""
    with engine.begin() as conn:
        conn.execute(S.update().where(S.c.edition == edition).values(pacing=pacing[:1000]))
