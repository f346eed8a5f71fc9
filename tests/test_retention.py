"""Retention: stale sign-ups deleted, old delivery rows cleared, audited, daily, and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts.audit import Actor
from linked.accounts.models import AuditEvent
from linked.delivery.models import Delivery
from linked.retention import PURGE_ACTION, purge, purge_if_due
from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.models import ConsentEvent, Subscriber, utcnow
from tests.fixtures.project import run_linked


def seed(engine: Engine, settings: Settings) -> dict[str, int]:
    now = utcnow()
    ids = {}
    with Session(engine) as session:
        for email, days, confirmed in [
            ("stale@example.org", 31, False),
            ("fresh@example.org", 3, False),
            ("kept@example.org", 500, True),
        ]:
            subscriber, _ = service.add(
                session,
                settings,
                email,
                consent_given_elsewhere=confirmed,
                now=now - timedelta(days=days),
            )
            assert subscriber.id is not None
            ids[email] = subscriber.id
        for edition, days in [("2020-01", 401), ("2021-05", 10)]:
            session.add(
                Delivery(
                    edition=edition,
                    subscriber_id=ids["kept@example.org"],
                    email="kept@example.org",
                    state="sent",
                    last_reply="250 ok kept@example.org",
                    updated_at=now - timedelta(days=days),
                )
            )
        session.commit()
    return ids


def test_dry_run_counts_and_purge_deletes(settings: Settings, engine: Engine) -> None:
    ids = seed(engine, settings)
    with Session(engine) as session:
        report = purge(session, settings, Actor.cli(), dry_run=True)
        assert (report.pending_deleted, report.deliveries_cleared) == (1, 1)
        session.commit()
        assert session.exec(select(AuditEvent)).all() == []
        report = purge(session, settings, Actor.cli())
        session.commit()
        assert (report.pending_deleted, report.deliveries_cleared) == (1, 1)
        left = session.exec(select(Subscriber.email).order_by(col(Subscriber.id))).all()
        assert left == ["fresh@example.org", "kept@example.org"]
        events = session.exec(
            select(ConsentEvent).where(col(ConsentEvent.subscriber_id) == ids["stale@example.org"])
        ).all()
        assert events == []
        rows = session.exec(select(Delivery.edition, Delivery.email, Delivery.last_reply)).all()
        assert sorted(rows) == [
            ("2020-01", "", None),
            ("2021-05", "kept@example.org", "250 ok kept@example.org"),
        ]
        audit = session.exec(select(AuditEvent)).one()
        assert audit.action == PURGE_ACTION and "1 unconfirmed" in (audit.detail or "")


def test_the_daily_job_runs_once_a_day(settings: Settings, engine: Engine) -> None:
    seed(engine, settings)
    now = utcnow()
    assert purge_if_due(settings, engine, now)
    assert not purge_if_due(settings, engine, now + timedelta(hours=23))
    assert purge_if_due(settings, engine, now + timedelta(hours=25))
    with Session(engine) as session:
        actors = session.exec(select(AuditEvent.actor)).all()
    assert actors == ["system", "system"]


def test_cli_purge_dry_run(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine, settings)
    monkeypatch.setenv("LINKED_DATABASE_URL", settings.database)
    code, out, err = run_linked("subscribers", "purge", "--dry-run", cwd=settings.root)
    assert code == 0, err
    assert "would delete 1 unconfirmed sign-ups" in out and "1 delivery rows" in out
    with Session(engine) as session:
        assert len(session.exec(select(Subscriber)).all()) == 3
