"""The one recording function for bounces and complaints, on the test database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.errors import LinkedError
from linked.subscribers import bounces
from linked.subscribers.bounces import BounceKind, BounceReport
from linked.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus, utcnow
from tests.fixtures.sending import add_subscribers

S = SubscriberStatus


def _subscriber(session: Session, engine: Engine, prefix: str = "b") -> Subscriber:
    ((sid, _),) = add_subscribers(engine, 1, prefix=prefix)
    found = session.get(Subscriber, sid)
    assert found is not None
    return found


def test_soft_bounces_count_distinct_sends_within_thirty_days(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as session:
        person = _subscriber(session, engine)
        soft = "soft"
        # Three reports about one send, and one about a send 40 days ago: two sends count.
        for i, (edition, days) in enumerate([("2021-05", 0), ("2021-05", 0), ("2021-03", 40)]):
            report = BounceReport(soft, "mailbox", key=f"k{i}", edition=edition)
            assert bounces.record(session, person, report, now=now - timedelta(days=days))
        bounces.record(session, person, BounceReport(soft, "mailbox", key="k3", edition="2021-04"))
        assert bounces.soft_sends(session, person, now) == 2
        assert person.status is S.confirmed
        bounces.record(session, person, BounceReport(soft, "mailbox", key="k4", edition="2021-06"))
        assert person.status is S.bounced
        session.commit()
        events = session.exec(select(ConsentEvent).where(ConsentEvent.subscriber_id == person.id))
        assert [e.detail for e in events if e.to_status is S.bounced] == [
            "soft bounces on 3 sends within 30 days"
        ]


def test_a_key_is_recorded_once_and_every_report_is_in_the_history(engine: Engine) -> None:
    with Session(engine) as session:
        person = _subscriber(session, engine)
        report = BounceReport("hard", "mailbox", key="mid:1", status="5.1.1", diagnostic="no such")
        assert bounces.record(session, person, report) is True
        assert bounces.record(session, person, report) is False
        assert person.status is S.bounced
        bounces.record(session, person, BounceReport("complaint", "webhook"))
        assert person.status is S.complained
        session.commit()
        assert person.id is not None
        history = bounces.history(session, person.id)
        assert [(e.kind, e.source, e.status) for e in history] == [
            ("hard", "mailbox", "5.1.1"),
            ("complaint", "webhook", None),
        ]


def test_a_report_about_no_one_is_kept_for_idempotence(engine: Engine) -> None:
    with Session(engine) as session:
        assert bounces.record(session, None, BounceReport("hard", "mailbox", key="mid:x"))
        assert not bounces.record(session, None, BounceReport("hard", "mailbox", key="mid:x"))
        assert bounces.already_recorded(session, "mid:x")


def test_a_hard_bounce_leaves_an_unsubscribed_person_alone(engine: Engine) -> None:
    with Session(engine) as session:
        ((sid, _),) = add_subscribers(engine, 1, status="unsubscribed", prefix="u")
        person = session.get(Subscriber, sid)
        assert person is not None
        bounces.record(session, person, BounceReport("hard", "mailbox"))
        assert person.status is S.unsubscribed


def test_a_report_names_its_kind_by_the_enum_or_its_value() -> None:
    assert BounceReport("hard", "webhook").kind is BounceKind.hard
    assert BounceReport(BounceKind.soft, "webhook").kind is BounceKind.soft
    with pytest.raises(LinkedError, match="unknown bounce kind 'mild'"):
        BounceReport("mild", "webhook")
