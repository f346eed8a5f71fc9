"""State changes of subscribers: subscribe, confirm, unsubscribe, bounces, add and remove.

Every function takes an open session and leaves committing to the caller, so a
caller can make several changes in one transaction (an import) or one per
request (the web app). Every status change goes through :func:`transition`,
which writes the consent record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, delete, select

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import ratelimit
from linked.subscribers.addresses import Address, clean_name, normalise, suppression_hash
from linked.subscribers.models import (
    ConsentEvent,
    Subscriber,
    SubscriberStatus,
    Suppression,
    utcnow,
)

S = SubscriberStatus
# After this many soft bounces (full mailbox, greylisting gone wrong) an address counts as bounced.
SOFT_BOUNCE_LIMIT = 3
BOUNCE_KINDS = ("hard", "soft", "complaint")


class RateLimited(LinkedError):
    """Too many requests from one place; try again later."""


class SuppressedAddress(LinkedError):
    """The address was erased at the person's request and may not be added by anyone else."""


@dataclass(frozen=True)
class Mailing:
    """A mail to send once the transaction has committed (confirmation or welcome)."""

    subscriber_id: int
    email: str
    name: str | None


class ConfirmOutcome(StrEnum):
    confirmed = "confirmed"
    already_confirmed = "already_confirmed"
    not_pending = "not_pending"


@dataclass(frozen=True)
class ConfirmResult:
    outcome: ConfirmOutcome
    welcome: Mailing | None = None


def find(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this address (any case), or None."""
    key = normalise(email).key
    return session.exec(select(Subscriber).where(col(Subscriber.email_key) == key)).first()


def is_suppressed(session: Session, address: Address) -> bool:
    """Whether the address was erased and must not come back through an import or ``add``."""
    digest = suppression_hash(address.key)
    found = session.exec(select(Suppression.id).where(col(Suppression.address_hash) == digest))
    return found.first() is not None


def transition(
    session: Session,
    subscriber: Subscriber,
    to: SubscriberStatus,
    *,
    source: str,
    ip: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Change a subscriber's status and record when, how and from where in the consent log."""
    now = now or utcnow()
    before = subscriber.status if subscriber.id is not None else None
    subscriber.status = to
    subscriber.updated_at = now
    if to is S.confirmed:
        subscriber.confirmed_at = now
        subscriber.soft_bounces = 0
    elif to is S.unsubscribed:
        subscriber.unsubscribed_at = now
    session.add(subscriber)
    session.flush()  # assigns the id of a new subscriber for the event below
    assert subscriber.id is not None
    session.add(
        ConsentEvent(
            subscriber_id=subscriber.id,
            from_status=before,
            to_status=to,
            at=now,
            source=source[:100],
            ip=ip,
            detail=detail,
        )
    )


def confirmation_mail(
    session: Session, settings: Settings, subscriber: Subscriber, now: datetime
) -> Mailing | None:
    """A confirmation mail for this subscriber, unless the per-address daily limit is reached.

    Counts it (``confirmations_sent``, ``confirmation_sent_at``) whoever asks: the
    form, ``subscribers add --send-confirmation`` or an import.
    """
    allowed = ratelimit.allow(
        session,
        ratelimit.CONFIRM_MAIL_PER_ADDRESS,
        subscriber.email_key,
        settings.confirm_mail_limit,
        ratelimit.ADDRESS_WINDOW,
        now,
    )
    if not allowed:
        return None
    subscriber.confirmation_sent_at = now
    subscriber.confirmations_sent += 1
    session.add(subscriber)
    session.flush()
    assert subscriber.id is not None
    return Mailing(subscriber.id, subscriber.email, subscriber.name)


def subscribe(
    session: Session,
    settings: Settings,
    email: str,
    name: str | None = None,
    *,
    source: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
) -> Mailing | None:
    """Someone asked to subscribe: record them as pending; return the confirmation to send.

    The caller must answer the same whatever happens here (no enumeration): a
    confirmed address gets no mail, a pending or former one is asked to confirm
    again (within the per-address limit). Raises :class:`InvalidAddress` or
    :class:`RateLimited` (per IP).
    """
    now = now or utcnow()
    address = normalise(email)
    name = clean_name(name)
    if ip is not None and not ratelimit.allow(
        session,
        ratelimit.SUBSCRIBE_PER_IP,
        ip,
        settings.subscribe_limit_per_ip,
        ratelimit.IP_WINDOW,
        now,
    ):
        raise RateLimited("too many subscribe requests from your network; try again later")
    subscriber = session.exec(
        select(Subscriber).where(col(Subscriber.email_key) == address.key)
    ).first()
    if subscriber is None:
        subscriber = Subscriber(
            email=address.email,
            email_key=address.key,
            name=name,
            source=source,
            ip=ip,
            created_at=now,
            updated_at=now,
        )
        transition(session, subscriber, S.pending, source=source, ip=ip, now=now)
    elif subscriber.status is S.confirmed:
        return None
    elif subscriber.status is not S.pending:
        # Leaving (or bouncing) ends consent: coming back needs a fresh confirmation.
        subscriber.source, subscriber.ip = source, ip
        subscriber.name = name or subscriber.name
        transition(
            session,
            subscriber,
            S.pending,
            source=source,
            ip=ip,
            now=now,
            detail=f"subscribed again after {subscriber.status.value}",
        )
    elif name and not subscriber.name:
        subscriber.name = name
    return confirmation_mail(session, settings, subscriber, now)


def confirm(
    session: Session,
    subscriber_id: int,
    *,
    source: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
) -> ConfirmResult:
    """The person followed their confirmation link: pending becomes confirmed."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.erased_at is not None:
        return ConfirmResult(ConfirmOutcome.not_pending)
    if subscriber.status is S.confirmed:
        return ConfirmResult(ConfirmOutcome.already_confirmed)
    if subscriber.status is not S.pending:
        return ConfirmResult(ConfirmOutcome.not_pending)
    transition(
        session,
        subscriber,
        S.confirmed,
        source=source,
        ip=ip,
        now=now,
        detail="double opt-in confirmed",
    )
    # They came back themselves, so an earlier erasure no longer blocks the address.
    session.execute(
        delete(Suppression).where(
            col(Suppression.address_hash) == suppression_hash(subscriber.email_key)
        )
    )
    assert subscriber.id is not None
    return ConfirmResult(
        ConfirmOutcome.confirmed, Mailing(subscriber.id, subscriber.email, subscriber.name)
    )


def unsubscribe(
    session: Session,
    subscriber_id: int,
    *,
    source: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Leave the list. Idempotent: True when this call changed something."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.status not in (S.pending, S.confirmed):
        return False
    transition(session, subscriber, S.unsubscribed, source=source, ip=ip, now=now)
    return True


def record_bounce(
    session: Session, email: str, kind: str, *, now: datetime | None = None
) -> Subscriber | None:
    """Record a ``hard`` or ``soft`` bounce or a ``complaint`` for an address.

    A hard bounce (or the third soft one) makes an active subscriber ``bounced``; a
    complaint makes anyone ``complained``. Returns the subscriber, or None if unknown.
    """
    if kind not in BOUNCE_KINDS:
        raise LinkedError(f"unknown bounce kind {kind!r}: use one of {', '.join(BOUNCE_KINDS)}")
    try:
        subscriber = find(session, email)
    except LinkedError:
        return None
    if subscriber is None:
        return None
    active = subscriber.status in (S.pending, S.confirmed)
    if kind == "complaint":
        if subscriber.status is not S.complained:
            transition(session, subscriber, S.complained, source="complaint", now=now)
    elif kind == "hard":
        if active:
            transition(session, subscriber, S.bounced, source="bounce", detail="hard", now=now)
    else:
        subscriber.soft_bounces += 1
        session.add(subscriber)
        if active and subscriber.soft_bounces >= SOFT_BOUNCE_LIMIT:
            transition(
                session,
                subscriber,
                S.bounced,
                source="bounce",
                detail=f"{subscriber.soft_bounces} soft bounces",
                now=now,
            )
    return subscriber


def add(
    session: Session,
    settings: Settings,
    email: str,
    name: str | None = None,
    *,
    consent_given_elsewhere: bool = False,
    send_confirmation: bool = False,
    source: str = "cli",
    consent_note: str | None = None,
    now: datetime | None = None,
) -> tuple[Subscriber, Mailing | None]:
    """An administrator adds one address: confirmed only with consent given elsewhere.

    ``consent_note`` (where and how they agreed) goes into the consent record.
    Returns the subscriber and, when it is pending and ``send_confirmation`` is asked,
    the confirmation mail to send (None when the address's daily limit is reached).
    """
    now = now or utcnow()
    address = normalise(email)
    if is_suppressed(session, address):
        raise SuppressedAddress(
            f"{address.email} was erased at the person's request; only they can subscribe "
            "again, through the website"
        )
    subscriber = session.exec(
        select(Subscriber).where(col(Subscriber.email_key) == address.key)
    ).first()
    if subscriber is not None and subscriber.status is S.confirmed:
        raise LinkedError(f"{subscriber.email} is already subscribed and confirmed")
    if subscriber is None:
        subscriber = Subscriber(
            email=address.email,
            email_key=address.key,
            source=source,
            created_at=now,
            updated_at=now,
        )
    subscriber.name = clean_name(name) or subscriber.name
    if consent_given_elsewhere:
        transition(
            session,
            subscriber,
            S.confirmed,
            source=source,
            now=now,
            detail=f"consent given elsewhere: {consent_note}"[:200]
            if consent_note
            else "consent given elsewhere",
        )
        return subscriber, None
    if subscriber.status is not S.pending or subscriber.id is None:
        transition(session, subscriber, S.pending, source=source, now=now)
    if not send_confirmation:
        return subscriber, None
    return subscriber, confirmation_mail(session, settings, subscriber, now)


def remove(session: Session, email: str, *, source: str = "cli") -> Subscriber:
    """An administrator unsubscribes an address (the record and consent log are kept)."""
    subscriber = find(session, email)
    if subscriber is None:
        raise LinkedError(f"{email.strip()} is not on the list")
    assert subscriber.id is not None
    if not unsubscribe(session, subscriber.id, source=source):
        raise LinkedError(f"{subscriber.email} is already {subscriber.status.value}")
    return subscriber
