"""The one recording function for bounces and complaints, whoever reports them.

The bounce mailbox (:mod:`linked.bounces.record`), the webhook and refusals seen while
sending all come here: each report is a :class:`BounceEvent` in the subscriber's
history, and the status change goes through :func:`service.transition` (the consent
record). Like the rest of the domain layer it takes a session and leaves committing
to the caller.

* A complaint makes the subscriber ``complained`` at once, whatever they were.
* A hard bounce makes a pending or confirmed subscriber ``bounced``.
* Soft bounces make them ``bounced`` once ``soft_limit`` of them came from distinct
  sends within :data:`SOFT_WINDOW` (a report without an edition counts on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from linked.errors import LinkedError
from linked.subscribers.models import BounceEvent, Subscriber, SubscriberStatus, utcnow
from linked.subscribers.status import BounceKind as BounceKind  # re-exported

S = SubscriberStatus
K = BounceKind
SOFT_BOUNCE_LIMIT = 3
SOFT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class BounceReport:
    """What was reported. ``key`` makes recording idempotent (a mailbox message's id).

    ``kind`` may be given as its string value too; an unknown one raises
    :class:`LinkedError` here, so a report never carries it.
    """

    kind: BounceKind
    source: str
    key: str | None = None
    delivery_id: int | None = None
    edition: str | None = None
    status: str | None = None
    diagnostic: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", bounce_kind(self.kind))


def bounce_kind(value: str) -> BounceKind:
    """The :class:`BounceKind` named by ``value``; :class:`LinkedError` for anything else."""
    try:
        return BounceKind(value)
    except ValueError:
        raise LinkedError(
            f"unknown bounce kind {value!r}: use one of {', '.join(BounceKind)}"
        ) from None


def already_recorded(session: Session, key: str) -> bool:
    """Whether a report with this key is in the history already."""
    found = session.exec(select(BounceEvent.id).where(col(BounceEvent.key) == key)).first()
    return found is not None


def record(
    session: Session,
    subscriber: Subscriber | None,
    report: BounceReport,
    *,
    soft_limit: int = SOFT_BOUNCE_LIMIT,
    now: datetime | None = None,
) -> bool:
    """Record one report; False (and nothing changed) when its key was recorded before.

    ``subscriber`` is None for an address not on the list: the event is kept (so a
    mailbox message is not counted again) and no one's status changes.
    """
    if report.key is not None and already_recorded(session, report.key):
        return False
    now = now or utcnow()
    session.add(
        BounceEvent(
            key=report.key,
            subscriber_id=subscriber.id if subscriber is not None else None,
            delivery_id=report.delivery_id,
            edition=report.edition[:200] if report.edition else None,
            kind=report.kind,
            source=report.source[:20],
            at=now,
            status=report.status[:20] if report.status else None,
            diagnostic=report.diagnostic[:500] if report.diagnostic else None,
        )
    )
    session.flush()
    if subscriber is not None:
        _apply(session, subscriber, report, soft_limit, now)
    return True


def _apply(
    session: Session, subscriber: Subscriber, report: BounceReport, soft_limit: int, now: datetime
) -> None:
    # Imported here: service imports this module for record_bounce.
    from linked.subscribers.service import transition

    code = f" {report.status}" if report.status else ""
    active = subscriber.status in (S.pending, S.confirmed)
    if report.kind is K.complaint:
        if subscriber.status is not S.complained:
            transition(
                session,
                subscriber,
                S.complained,
                source="complaint",
                detail=f"complaint via {report.source}",
                now=now,
            )
    elif report.kind is K.hard:
        if active:
            transition(
                session,
                subscriber,
                S.bounced,
                source="bounce",
                detail=f"hard bounce{code} via {report.source}",
                now=now,
            )
    else:
        subscriber.soft_bounces += 1
        session.add(subscriber)
        sends = soft_sends(session, subscriber, now)
        if active and sends >= soft_limit:
            transition(
                session,
                subscriber,
                S.bounced,
                source="bounce",
                detail=f"soft bounces on {sends} sends within {SOFT_WINDOW.days} days",
                now=now,
            )


def soft_sends(session: Session, subscriber: Subscriber, now: datetime) -> int:
    """Distinct sends with a soft bounce for this subscriber within the window."""
    editions = session.exec(
        select(BounceEvent.edition).where(
            col(BounceEvent.subscriber_id) == subscriber.id,
            col(BounceEvent.kind) == K.soft,
            col(BounceEvent.at) >= now - SOFT_WINDOW,
        )
    ).all()
    named = {edition for edition in editions if edition is not None}
    return len(named) + sum(1 for edition in editions if edition is None)


def history(session: Session, subscriber_id: int) -> list[BounceEvent]:
    """A subscriber's bounces and complaints, oldest first."""
    return list(
        session.exec(
            select(BounceEvent)
            .where(col(BounceEvent.subscriber_id) == subscriber_id)
            .order_by(col(BounceEvent.at), col(BounceEvent.id))
        ).all()
    )
