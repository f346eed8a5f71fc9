"""Write and read ``schedule_event`` rows, and log each event as one structured line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from linked.scheduler.models import EventKind, ScheduleEvent, utcnow

log = logging.getLogger("linked.scheduler")
E = ScheduleEvent.__table__  # type: ignore[attr-defined]
#: Events logged as warnings: the send did not happen as scheduled.
WARNINGS = (EventKind.blocked, EventKind.missed, EventKind.failed)


def record(
    db: Engine | Connection,
    edition: str,
    kind: EventKind,
    detail: str = "",
    run_at: datetime | None = None,
) -> None:
    """Store one event and log it (:func:`log_event`).

    On an engine the row commits in a transaction of its own, and is logged once
    committed. On a connection it is written in the caller's transaction (a schedule
    and its audit event commit together) and logged at once, so the line stands even
    if the caller then rolls back: a caller that owns its commit uses :func:`add`,
    then :func:`log_event` after committing.
    """
    if isinstance(db, Connection):
        add(db, edition, kind, detail, run_at)
    else:
        with db.begin() as conn:
            add(conn, edition, kind, detail, run_at)
    log_event(edition, kind, detail, run_at)


def add(
    conn: Connection,
    edition: str,
    kind: EventKind,
    detail: str = "",
    run_at: datetime | None = None,
) -> None:
    """Write one event in the caller's transaction, without logging it."""
    conn.execute(
        E.insert().values(
            edition=edition, kind=kind, run_at=run_at, detail=detail, created_at=utcnow()
        )
    )


def log_event(
    edition: str, kind: EventKind, detail: str = "", run_at: datetime | None = None
) -> None:
    """Log an event as ``event=schedule.<kind> edition=… run_at=… detail=…``."""
    level = logging.WARNING if kind in WARNINGS else logging.INFO
    log.log(
        level,
        "event=schedule.%s edition=%s run_at=%s detail=%r",
        kind,
        edition,
        run_at.isoformat() if run_at else "-",
        detail,
    )


def latest(db: Engine) -> dict[str, ScheduleEvent]:
    """The newest event of every edition that has one."""
    newest = (
        sa.select(E.c.edition, sa.func.max(E.c.id).label("id")).group_by(E.c.edition).subquery()
    )
    with db.connect() as conn:
        rows = conn.execute(sa.select(E).join(newest, E.c.id == newest.c.id)).mappings().all()
    events = {}
    for row in rows:
        event = ScheduleEvent(**row)
        # SQLite hands back naive datetimes; they were written in UTC.
        if event.run_at is not None and event.run_at.tzinfo is None:
            event.run_at = event.run_at.replace(tzinfo=UTC)
        events[event.edition] = event
    return events


def history(db: Engine, edition: str) -> list[ScheduleEvent]:
    """Every event of one edition, oldest first."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(E).where(E.c.edition == edition).order_by(E.c.id)).mappings()
        return [ScheduleEvent(**row) for row in rows]


def scheduled_for(db: Engine, edition: str) -> datetime | None:
    """The time of the edition's newest ``scheduled`` event (aware, UTC), if any."""
    with db.connect() as conn:
        value = conn.execute(
            sa.select(E.c.run_at)
            .where(E.c.edition == edition, E.c.kind == EventKind.scheduled)
            .order_by(E.c.id.desc())
            .limit(1)
        ).scalar()
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None
