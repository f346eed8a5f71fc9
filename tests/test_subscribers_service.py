"""Every status change, its consent record, bounces and the rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.addresses import InvalidAddress
from linked.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus, utcnow

S = SubscriberStatus


def _events(session: Session, subscriber_id: int) -> list[tuple[S | None, S, str]]:
    rows = session.exec(
        select(ConsentEvent)
        .where(col(ConsentEvent.subscriber_id) == subscriber_id)
        .order_by(col(ConsentEvent.id))
    ).all()
    return [(e.from_status, e.to_status, e.source) for e in rows]


def _subscribe(session: Session, settings: Settings, email: str, **kw: object) -> int:
    mailing = service.subscribe(session, settings, email, **kw)  # type: ignore[arg-type]
    session.commit()
    assert mailing is not None
    return mailing.subscriber_id


def test_full_life_cycle_is_recorded(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        sid = _subscribe(session, settings, " Sam@Example.org ", name="Sam", ip="192.0.2.1")
        subscriber = session.get(Subscriber, sid)
        assert subscriber is not None
        assert (subscriber.email, subscriber.status, subscriber.ip) == (
            "Sam@example.org",
            S.pending,
            "192.0.2.1",
        )
        assert subscriber.confirmations_sent == 1 and subscriber.confirmation_sent_at

        result = service.confirm(session, sid, ip="192.0.2.2")
        session.commit()
        assert result.outcome is service.ConfirmOutcome.confirmed and result.welcome
        assert service.confirm(session, sid).outcome is service.ConfirmOutcome.already_confirmed

        assert service.unsubscribe(session, sid, source="one-click") is True
        assert service.unsubscribe(session, sid) is False  # idempotent
        session.commit()

        # Coming back needs a new confirmation.
        assert _subscribe(session, settings, "sam@example.org") == sid
        subscriber = session.get(Subscriber, sid)
        assert subscriber is not None and subscriber.status is S.pending
        assert service.confirm(session, sid).outcome is service.ConfirmOutcome.confirmed
        session.commit()
        assert _events(session, sid) == [
            (None, S.pending, "web"),
            (S.pending, S.confirmed, "web"),
            (S.confirmed, S.unsubscribed, "one-click"),
            (S.unsubscribed, S.pending, "web"),
            (S.pending, S.confirmed, "web"),
        ]
        ips = session.exec(select(ConsentEvent.ip).order_by(col(ConsentEvent.id))).all()
        assert ips[:2] == ["192.0.2.1", "192.0.2.2"]


def test_confirmed_address_gets_no_mail_and_no_change(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        sid = _subscribe(session, settings, "a@example.org")
        service.confirm(session, sid)
        session.commit()
        assert service.subscribe(session, settings, "A@example.org") is None
        assert session.get(Subscriber, sid).status is S.confirmed  # type: ignore[union-attr]


def test_unknown_and_left_subscribers_cannot_confirm(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        assert service.confirm(session, 999).outcome is service.ConfirmOutcome.not_pending
        sid = _subscribe(session, settings, "a@example.org")
        service.unsubscribe(session, sid)
        session.commit()
        assert service.confirm(session, sid).outcome is service.ConfirmOutcome.not_pending
        assert service.unsubscribe(session, 999) is False


def test_pending_can_unsubscribe(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        sid = _subscribe(session, settings, "a@example.org")
        assert service.unsubscribe(session, sid)
        session.commit()
        assert session.get(Subscriber, sid).status is S.unsubscribed  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "times", "expected"),
    [
        ("hard", 1, S.bounced),
        ("soft", 2, S.confirmed),
        ("soft", 3, S.bounced),
        ("complaint", 1, S.complained),
    ],
)
def test_bounces(settings: Settings, engine: Engine, kind: str, times: int, expected: S) -> None:
    with Session(engine) as session:
        sid = _subscribe(session, settings, "a@example.org")
        service.confirm(session, sid)
        for _ in range(times):
            assert service.record_bounce(session, "A@EXAMPLE.org", kind) is not None
        session.commit()
        assert session.get(Subscriber, sid).status is expected  # type: ignore[union-attr]
        # Bounced and complained are terminal until the person subscribes again.
        if expected is not S.confirmed:
            assert service.confirm(session, sid).outcome is service.ConfirmOutcome.not_pending
            assert _subscribe(session, settings, "a@example.org") == sid
            assert session.get(Subscriber, sid).status is S.pending  # type: ignore[union-attr]


def test_bounce_edge_cases(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        assert service.record_bounce(session, "nobody@example.org", "hard") is None
        assert service.record_bounce(session, "not an address", "hard") is None
        with pytest.raises(LinkedError):
            service.record_bounce(session, "a@example.org", "bogus")


def test_invalid_address(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(InvalidAddress):
        service.subscribe(session, settings, "not-an-address")


def test_per_ip_limit(make_settings: object, engine: Engine) -> None:
    settings = make_settings(subscribe_limit_per_ip=3)  # type: ignore[operator]
    with Session(engine) as session:
        for n in range(3):
            service.subscribe(session, settings, f"p{n}@example.org", ip="198.51.100.7")
        session.commit()
        with pytest.raises(service.RateLimited):
            service.subscribe(session, settings, "p9@example.org", ip="198.51.100.7")
        session.rollback()
        # Another network is not affected, and the window slides.
        assert service.subscribe(session, settings, "q@example.org", ip="198.51.100.8")
        later = utcnow() + timedelta(hours=1, minutes=1)
        assert service.subscribe(session, settings, "p9@example.org", ip="198.51.100.7", now=later)


def test_per_address_confirmation_limit(make_settings: object, engine: Engine) -> None:
    settings = make_settings(confirm_mail_limit=2)  # type: ignore[operator]
    with Session(engine) as session:
        results = [service.subscribe(session, settings, "a@example.org") for _ in range(4)]
        session.commit()
        assert [r is not None for r in results] == [True, True, False, False]
        subscriber = service.find(session, "a@example.org")
        assert subscriber is not None and subscriber.confirmations_sent == 2
        tomorrow = utcnow() + timedelta(days=1, minutes=1)
        assert service.subscribe(session, settings, "a@example.org", now=tomorrow) is not None


def test_add_and_remove(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        subscriber, mailing = service.add(
            session, settings, "a@example.org", "A", send_confirmation=True
        )
        assert subscriber.status is S.pending and mailing is not None
        assert subscriber.confirmations_sent == 1
        subscriber, mailing = service.add(
            session, settings, "b@example.org", consent_given_elsewhere=True
        )
        assert subscriber.status is S.confirmed and mailing is None
        session.commit()
        assert _events(session, subscriber.id or 0) == [(None, S.confirmed, "cli")]
        with pytest.raises(LinkedError, match="already subscribed"):
            service.add(session, settings, "B@example.org")
        assert service.remove(session, "b@example.org").status is S.unsubscribed
        with pytest.raises(LinkedError, match="already unsubscribed"):
            service.remove(session, "b@example.org")
        with pytest.raises(LinkedError, match="not on the list"):
            service.remove(session, "c@example.org")
