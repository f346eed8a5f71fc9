"""The dashboard's figures: subscribers by state, the last 30 days, sends, and a chart.

One function, :func:`figures`, reads everything in one session; the console renders it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from linked.accounts import audit
from linked.delivery.models import Delivery, Send
from linked.retention import PURGE_ACTION
from linked.scheduler.runtime import JOB_PREFIX, JOBS_TABLE
from linked.subscribers import manage
from linked.subscribers.models import ConsentEvent, SubscriberStatus, utcnow

S = SubscriberStatus
CHART_DAYS = 90
_JOBS = sa.table(JOBS_TABLE, sa.column("id"), sa.column("next_run_time"))


@dataclass(frozen=True)
class LastSend:
    edition: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    states: dict[str, int]


@dataclass(frozen=True)
class Dashboard:
    counts: dict[SubscriberStatus, int]
    joined_30d: int
    left_30d: int
    last_send: LastSend | None
    next_send: tuple[str, datetime] | None
    retention_ran_at: datetime | None
    retention_detail: str | None
    #: Confirmed subscribers at the end of each day, oldest first.
    series: list[tuple[date, int]] = field(default_factory=list)


def figures(session: Session, now: datetime | None = None) -> Dashboard:
    """Everything on the dashboard, as of ``now``."""
    now = now or utcnow()
    counts = manage.counts(session)
    joined, left = manage.since(session, now - timedelta(days=30))
    purge = audit.latest(session, PURGE_ACTION)
    return Dashboard(
        counts=counts,
        joined_30d=joined,
        left_30d=left,
        last_send=_last_send(session),
        next_send=_next_send(session),
        retention_ran_at=purge.at if purge else None,
        retention_detail=purge.detail if purge else None,
        series=confirmed_series(session, counts[S.confirmed], now.date(), CHART_DAYS),
    )


def _last_send(session: Session) -> LastSend | None:
    send = session.exec(
        select(Send).order_by(col(Send.created_at).desc(), col(Send.id).desc()).limit(1)
    ).first()
    if send is None:
        return None
    rows = session.exec(
        select(Delivery.state, sa.func.count())
        .where(col(Delivery.edition) == send.edition)
        .group_by(col(Delivery.state))
    ).all()
    states = {state: int(number) for state, number in rows}
    return LastSend(send.edition, send.status, send.started_at, send.finished_at, states)


def _next_send(session: Session) -> tuple[str, datetime] | None:
    """The earliest scheduled send in APScheduler's job table (its times are epoch seconds)."""
    row = session.execute(
        sa.select(_JOBS.c.id, _JOBS.c.next_run_time)
        .where(_JOBS.c.id.like(f"{JOB_PREFIX}%"), _JOBS.c.next_run_time.is_not(None))
        .order_by(_JOBS.c.next_run_time)
        .limit(1)
    ).first()
    if row is None:
        return None
    return row[0].removeprefix(JOB_PREFIX), datetime.fromtimestamp(row[1], UTC)


def confirmed_series(
    session: Session, confirmed_now: int, today: date, days: int
) -> list[tuple[date, int]]:
    """Confirmed subscribers at the end of each of the last ``days`` days.

    Walks back from today's exact count, undoing each day's changes in the consent log
    (+1 for every confirmation, -1 for every change away from confirmed).
    """
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)
    at = col(ConsentEvent.at)
    day_of: sa.ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        day_of = sa.cast(sa.func.timezone("UTC", at), sa.Date)
    else:  # SQLite keeps UTC text: its first ten characters are the day
        day_of = sa.func.date(at)
    confirmed = S.confirmed.value
    net = sa.func.sum(
        sa.case((col(ConsentEvent.to_status) == confirmed, 1), else_=0)
        - sa.case((col(ConsentEvent.from_status) == confirmed, 1), else_=0)
    )
    touches_confirmed = sa.or_(
        col(ConsentEvent.to_status) == confirmed, col(ConsentEvent.from_status) == confirmed
    )
    query = sa.select(day_of, net).where(at >= start, touches_confirmed).group_by(day_of)
    rows = session.execute(query).all()
    change: Counter[date] = Counter()
    for day, number in rows:
        change[day if isinstance(day, date) else date.fromisoformat(str(day))] += int(number or 0)
    series: list[tuple[date, int]] = []
    value = confirmed_now
    for offset in range(days):
        day = today - timedelta(days=offset)
        series.append((day, value))
        value -= change[day]
    series.reverse()
    return series
