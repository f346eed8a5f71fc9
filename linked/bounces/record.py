"""Record a classified mailbox message: find the delivery and subscriber, then the one recorder.

The VERP token is trusted first (it names the exact delivery, and so the subscriber
and the send); the address the report quotes is the fallback. Recording goes through
:func:`linked.subscribers.bounces.record`, shared with the webhook, and is idempotent
on the message's key.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from linked.bounces.classify import Verdict
from linked.delivery.models import Delivery
from linked.delivery.returnpath import delivery_of
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import bounces
from linked.subscribers.models import Subscriber
from linked.subscribers.service import find


class Recorded(StrEnum):
    """What recording one message did."""

    recorded = "recorded"
    #: Its key was recorded before (a fetch that died before moving it): counted once.
    duplicate = "duplicate"
    #: Neither its token nor its address names anyone on the list; kept in the history.
    not_on_list = "not_on_list"


def record_verdict(session: Session, settings: Settings, verdict: Verdict) -> Recorded:
    """Record a hard or soft bounce or a complaint (``verdict.kind`` must be one of them)."""
    if not isinstance(verdict.kind, bounces.BounceKind):
        raise ValueError(f"{verdict.kind} is not a bounce or complaint")
    if bounces.already_recorded(session, verdict.key):
        return Recorded.duplicate
    delivery = _delivery(session, settings, verdict.token)
    subscriber: Subscriber | None = None
    if delivery is not None:
        subscriber = session.get(Subscriber, delivery.subscriber_id)
    elif verdict.recipient:
        try:
            subscriber = find(session, verdict.recipient)
        except LinkedError:  # an address that does not even parse: not on the list
            subscriber = None
    report = bounces.BounceReport(
        kind=verdict.kind,
        source="mailbox",
        key=verdict.key,
        delivery_id=delivery.id if delivery is not None else None,
        edition=delivery.edition if delivery is not None else None,
        status=verdict.status,
        diagnostic=verdict.diagnostic,
    )
    bounces.record(session, subscriber, report, soft_limit=settings.soft_bounce_limit)
    return Recorded.recorded if subscriber is not None else Recorded.not_on_list


def _delivery(session: Session, settings: Settings, token: str | None) -> Delivery | None:
    if not token:
        return None
    delivery_id = delivery_of(settings, token)
    return session.get(Delivery, delivery_id) if delivery_id is not None else None
