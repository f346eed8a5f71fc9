"""Recording classified mailbox messages: the VERP token first, the quoted address second."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from linked.bounces.classify import Kind, Verdict
from linked.bounces.record import Recorded, record_verdict
from linked.delivery.models import Delivery
from linked.delivery.returnpath import return_path
from linked.settings import Settings
from linked.subscribers.models import Subscriber, SubscriberStatus
from tests.fixtures.sending import add_subscribers

S = SubscriberStatus


def _delivery(session: Session, subscriber_id: int, email: str) -> int:
    row = Delivery(edition="2021-05", subscriber_id=subscriber_id, email=email, state="sent")
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def _token(settings: Settings, delivery_id: int) -> str:
    return return_path(settings, delivery_id).partition("+")[2].partition("@")[0]


def test_the_token_wins_over_the_quoted_address(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(bounce_address="bounces@example.org")
    (a, a_email), (b, _) = add_subscribers(engine, 2, prefix="t")
    with Session(engine) as session:
        delivery_id = _delivery(session, a, a_email)
        verdict = Verdict(
            Kind.hard, "mid:1", recipient="t1@example.net", token=_token(settings, delivery_id)
        )
        assert record_verdict(session, settings, verdict) is Recorded.recorded
        assert record_verdict(session, settings, verdict) is Recorded.duplicate
        session.commit()
        assert session.get(Subscriber, a).status is S.bounced  # type: ignore[union-attr]
        assert session.get(Subscriber, b).status is S.confirmed  # type: ignore[union-attr]


def test_without_a_genuine_token_the_address_decides(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(bounce_address="bounces@example.org")
    ((a, a_email),) = add_subscribers(engine, 1, prefix="q")
    with Session(engine) as session:
        forged = Verdict(Kind.complaint, "mid:2", recipient=a_email.upper(), token="1-forged")
        assert record_verdict(session, settings, forged) is Recorded.recorded
        nobody = Verdict(Kind.hard, "mid:3", recipient="nobody@example.net")
        assert record_verdict(session, settings, nobody) is Recorded.not_on_list
        garbage = Verdict(Kind.hard, "mid:4", recipient="not an address")
        assert record_verdict(session, settings, garbage) is Recorded.not_on_list
        session.commit()
        assert session.get(Subscriber, a).status is S.complained  # type: ignore[union-attr]
