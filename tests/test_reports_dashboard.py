"""The dashboard's figures: counts, 30 days, the chart's walk back, last and next send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts.audit import Actor
from linked.delivery.models import Delivery, Send
from linked.reports.dashboard import figures
from linked.scheduler.runtime import JOBS_TABLE
from linked.settings import Settings
from linked.subscribers import manage, service
from linked.subscribers.models import SubscriberStatus, utcnow


def test_figures(settings: Settings, engine: Engine) -> None:
    now = utcnow()
    actor = Actor.cli()
    with Session(engine) as session:
        for days in (40, 20, 5):
            service.add(
                session,
                settings,
                f"c{days}@example.org",
                consent_given_elsewhere=True,
                now=now - timedelta(days=days),
            )
        subscriber, _ = manage.add(session, settings, actor, "p@example.org")
        left, _ = service.add(
            session,
            settings,
            "left@example.org",
            consent_given_elsewhere=True,
            now=now - timedelta(days=50),
        )
        assert left.id is not None
        service.unsubscribe(session, left.id, now=now - timedelta(days=2))
        session.add(Send(edition="2021-05", status="done", started_at=now, finished_at=now))
        session.add(Delivery(edition="2021-05", subscriber_id=left.id, email="x", state="sent"))
        session.add(
            Delivery(edition="2021-05", subscriber_id=subscriber.id or 0, email="y", state="failed")
        )
        session.commit()
        session.execute(
            sa.table(
                JOBS_TABLE, sa.column("id"), sa.column("next_run_time"), sa.column("job_state")
            )
            .insert()
            .values(
                id="send:2021-06",
                next_run_time=datetime(2030, 1, 1, tzinfo=UTC).timestamp(),
                job_state=b"x",
            )
        )
        session.commit()
        data = figures(session, now)
    assert data.counts[SubscriberStatus.confirmed] == 3
    assert data.counts[SubscriberStatus.pending] == 1
    assert (data.joined_30d, data.left_30d) == (3, 1)
    assert data.last_send is not None and data.last_send.states == {"sent": 1, "failed": 1}
    assert data.next_send == ("2021-06", datetime(2030, 1, 1, tzinfo=UTC))
    series = dict(data.series)
    today = now.date()
    assert series[today] == 3
    assert series[today - timedelta(days=3)] == 4  # before "left" unsubscribed
    assert series[today - timedelta(days=10)] == 3  # before c5 confirmed
    assert series[today - timedelta(days=30)] == 2  # before c20 too
    assert len(data.series) == 90
