"""One subscriber's page: their record, consent history and deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from linked.delivery.models import Delivery
from linked.subscribers import manage
from linked.subscribers.models import ConsentEvent, Subscriber

DELIVERIES_SHOWN = 50


@dataclass(frozen=True)
class Person:
    subscriber: Subscriber
    history: Sequence[ConsentEvent]
    deliveries: Sequence[Delivery]


def person(session: Session, subscriber_id: int) -> Person:
    """Raises LinkedError when there is no such (unerased) subscriber."""
    subscriber = manage.get(session, subscriber_id)
    deliveries = session.exec(
        select(Delivery)
        .where(col(Delivery.subscriber_id) == subscriber_id)
        .order_by(col(Delivery.id).desc())
        .limit(DELIVERIES_SHOWN)
    ).all()
    return Person(subscriber, manage.consent_history(session, subscriber), deliveries)
