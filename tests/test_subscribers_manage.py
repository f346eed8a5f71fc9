"""The audited subscriber operations the CLI and the console share; search and keyset pages."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.accounts.audit import Actor
from linked.accounts.models import AuditEvent
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import manage
from linked.subscribers.models import ConsentEvent, SubscriberStatus

ACTOR = Actor("ann@example.org", 1, "192.0.2.9")


def test_add_with_consent_elsewhere_keeps_the_note_and_audits(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine) as session:
        subscriber, mailing = manage.add(
            session, settings, ACTOR, "Pat@Example.org", "Pat", consent_note="paper form, 3 May"
        )
        session.commit()
        assert subscriber.status is SubscriberStatus.confirmed and mailing is None
        event = session.exec(select(ConsentEvent)).one()
        assert event.detail == "consent given elsewhere: paper form, 3 May"
        audit = session.exec(select(AuditEvent)).one()
        assert (audit.actor, audit.action, audit.target, audit.ip) == (
            "ann@example.org",
            "subscriber.add",
            f"subscriber:{subscriber.id}",
            "192.0.2.9",
        )


def test_erase_leaves_no_address_in_the_audit_log(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        manage.add(session, settings, ACTOR, "gone@example.org", "Gone Person")
        manage.erase(session, ACTOR, "gone@example.org")
        session.commit()
        rows = session.exec(select(AuditEvent)).all()
    assert [row.action for row in rows] == ["subscriber.add", "subscriber.erase"]
    assert all("gone" not in f"{row.target}{row.detail}".lower() for row in rows)


def test_a_failed_change_writes_no_audit_row(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        subscriber, _ = manage.add(session, settings, ACTOR, "x@example.org")
        manage.unsubscribe(session, ACTOR, subscriber, source="console")
        session.commit()
        with pytest.raises(LinkedError, match="already unsubscribed"):
            manage.unsubscribe(session, ACTOR, subscriber, source="console")
        session.rollback()
        assert len(session.exec(select(AuditEvent)).all()) == 2


def test_search_by_part_of_address_or_name_with_keyset_pages(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine) as session:
        for i in range(7):
            manage.add(session, settings, ACTOR, f"person{i}@example.org", f"Name {i}")
        manage.add(session, settings, ACTOR, "other@example.net", "Zoë 100%_sure")
        session.commit()
        first = manage.search(session, "EXAMPLE.ORG", limit=3)
        assert [s.email for s in first.rows] == [f"person{i}@example.org" for i in (6, 5, 4)]
        second = manage.search(session, "example.org", after=first.after, limit=3)
        third = manage.search(session, "example.org", after=second.after, limit=3)
        assert [s.email for s in third.rows] == ["person0@example.org"] and third.after is None
        assert [s.email for s in manage.search(session, "zoë").rows] == ["other@example.net"]
        # LIKE wildcards in the search are literal characters.
        assert [s.email for s in manage.search(session, "100%_").rows] == ["other@example.net"]
        assert manage.search(session, "%z").rows == []
        confirmed = manage.search(session, "", SubscriberStatus.confirmed)
        assert confirmed.rows == []


def test_export_is_audited(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        manage.add(session, settings, ACTOR, "a@example.org")
        out = io.StringIO()
        assert manage.export_csv(session, ACTOR, out) == 1
        session.commit()
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "subscriber.export")
        ).one()
        assert audit.detail == "1 rows (all)"


def test_search_index_follows_changes_and_erasure(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        subscriber, _ = manage.add(session, settings, ACTOR, "ruth.findable@example.org", "Ruth")
        manage.add(session, settings, ACTOR, "odd@example.org", 'Ann "Nan" Lee')
        session.commit()
        assert [s.email for s in manage.search(session, "FINDABLE").rows] == [subscriber.email]
        assert [s.email for s in manage.search(session, '"nan"').rows] == ["odd@example.org"]
        assert [s.email for s in manage.search(session, "ru").rows] == [subscriber.email]
        subscriber.name = "Ruth Renamed"
        session.add(subscriber)
        session.commit()
        assert [s.email for s in manage.search(session, "renamed").rows] == [subscriber.email]
        manage.erase(session, ACTOR, "ruth.findable@example.org")
        session.commit()
        assert manage.search(session, "findable").rows == []
        assert manage.search(session, "renamed").rows == []
