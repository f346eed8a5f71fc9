"""GDPR: give a person their data, and erase it while remembering not to re-add them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from linked.errors import LinkedError
from linked.subscribers.addresses import normalise, suppression_hash
from linked.subscribers.bounces import history as bounce_history
from linked.subscribers.models import (
    BounceEvent,
    ConsentEvent,
    Notice,
    SubscriberStatus,
    Suppression,
    utcnow,
)
from linked.subscribers.service import find, is_suppressed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_data(session: Session, email: str) -> dict[str, Any]:
    """Everything stored about one address, as JSON-ready data (a subject access request)."""
    subscriber = find(session, email)
    if subscriber is None:
        raise LinkedError(f"{email.strip()} is not on the list")
    events = session.exec(
        select(ConsentEvent)
        .where(col(ConsentEvent.subscriber_id) == subscriber.id)
        .order_by(col(ConsentEvent.at), col(ConsentEvent.id))
    ).all()
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status.value,
        "created_at": _iso(subscriber.created_at),
        "updated_at": _iso(subscriber.updated_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "unsubscribed_at": _iso(subscriber.unsubscribed_at),
        "source": subscriber.source,
        "ip": subscriber.ip,
        "confirmation_sent_at": _iso(subscriber.confirmation_sent_at),
        "confirmations_sent": subscriber.confirmations_sent,
        "soft_bounces": subscriber.soft_bounces,
        "consent_log": [
            {
                "at": _iso(event.at),
                "from": event.from_status.value if event.from_status else None,
                "to": event.to_status.value,
                "source": event.source,
                "ip": event.ip,
                "detail": event.detail,
            }
            for event in events
        ],
        "bounces": [
            {
                "at": _iso(event.at),
                "kind": event.kind,
                "source": event.source,
                "edition": event.edition,
                "status": event.status,
                "diagnostic": event.diagnostic,
            }
            for event in bounce_history(session, subscriber.id or 0)
        ],
    }


def erase(session: Session, email: str, *, now: datetime | None = None) -> None:
    """Delete a person's data and keep only a hash of their address as a suppression entry.

    The subscriber row is anonymised rather than deleted, so the delivery history that
    refers to it stays consistent; nothing in it identifies the person any more.
    """
    now = now or utcnow()
    address = normalise(email)
    subscriber = find(session, address.email)
    if subscriber is None:
        if is_suppressed(session, address):
            raise LinkedError(f"{address.email} has already been erased")
        raise LinkedError(f"{address.email} is not on the list")
    assert subscriber.id is not None
    session.execute(delete(ConsentEvent).where(col(ConsentEvent.subscriber_id) == subscriber.id))
    # A bounce's diagnostic text usually quotes the address.
    session.execute(delete(BounceEvent).where(col(BounceEvent.subscriber_id) == subscriber.id))
    # A queued confirmation or welcome holds the address: it must not be sent either.
    session.execute(delete(Notice).where(col(Notice.subscriber_id) == subscriber.id))
    placeholder = f"erased-{subscriber.id}@erased.invalid"
    before = subscriber.status
    subscriber.email = subscriber.email_key = placeholder
    subscriber.name = subscriber.ip = None
    subscriber.source = "erased"
    subscriber.confirmed_at = subscriber.confirmation_sent_at = None
    subscriber.status = SubscriberStatus.unsubscribed
    subscriber.unsubscribed_at = subscriber.unsubscribed_at or now
    subscriber.updated_at = subscriber.erased_at = now
    session.add(subscriber)
    session.add(
        ConsentEvent(
            subscriber_id=subscriber.id,
            from_status=before,
            to_status=SubscriberStatus.unsubscribed,
            at=now,
            source="erase",
            detail="personal data erased on request",
        )
    )
    if not is_suppressed(session, address):
        session.add(Suppression(address_hash=suppression_hash(address.key), reason="erased"))
