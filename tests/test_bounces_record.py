"""Recording classified mailbox messages: the VERP token first, the quoted address second."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from linked.bounces.classify import Unrecorded, Verdict
from linked.bounces.record import Recorded, record_verdict
from linked.delivery.models import Delivery
from linked.delivery.returnpath import return_path
from linked.settings import Settings
from linked.subscribers import bounces
from linked.subscribers.models import Subscriber, SubscriberStatus
from linked.subscribers.status import BounceKind
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
            BounceKind.hard,
            "mid:1",
            recipient="t1@example.net",
            token=_token(settings, delivery_id),
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
        forged = Verdict(BounceKind.complaint, "mid:2", recipient=a_email.upper(), token="1-forged")
        assert record_verdict(session, settings, forged) is Recorded.recorded
        nobody = Verdict(BounceKind.hard, "mid:3", recipient="nobody@example.net")
        assert record_verdict(session, settings, nobody) is Recorded.not_on_list
        garbage = Verdict(BounceKind.hard, "mid:4", recipient="not an address")
        assert record_verdict(session, settings, garbage) is Recorded.not_on_list
        session.commit()
        assert session.get(Subscriber, a).status is S.complained  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", list(Unrecorded))
def test_a_message_that_is_not_a_bounce_is_refused(
    make_settings: Callable[..., Settings], engine: Engine, kind: Unrecorded
) -> None:
    settings = make_settings(bounce_address="bounces@example.org")
    with Session(engine) as session, pytest.raises(ValueError, match="not a bounce"):
        record_verdict(session, settings, Verdict(kind, "mid:5", recipient="a@example.net"))
    with Session(engine) as session:
        assert not bounces.already_recorded(session, "mid:5")


def test_a_recorded_event_reads_back_as_its_bounce_kind(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(bounce_address="bounces@example.org")
    ((a, a_email),) = add_subscribers(engine, 1, prefix="k")
    with Session(engine) as session:
        verdict = Verdict(BounceKind.soft, "mid:6", recipient=a_email)
        assert record_verdict(session, settings, verdict) is Recorded.recorded
        session.commit()
    with Session(engine) as session:
        (event,) = bounces.history(session, a)
        assert event.kind is BounceKind.soft
