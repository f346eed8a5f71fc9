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

from sqlalchemy import Connection, func
from sqlmodel import Session, col, delete, select

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import bounces, ratelimit, statements
from linked.subscribers.addresses import Address, clean_name, normalise, suppression_hash
from linked.subscribers.models import (
    ConsentEvent,
    Subscriber,
    SubscriberStatus,
    Suppression,
    utcnow,
)

S = SubscriberStatus
SOFT_BOUNCE_LIMIT = bounces.SOFT_BOUNCE_LIMIT


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
    #: For a confirmation: the consent event that made the subscription pending.
    generation: int | None = None


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
    record_event(session.connection(), subscriber.id, before, to, source, ip, detail, now)


def record_event(
    connection: Connection,
    subscriber_id: int,
    before: SubscriberStatus | None,
    to: SubscriberStatus,
    source: str,
    ip: str | None,
    detail: str | None,
    now: datetime,
) -> int:
    """Write one consent event; return its id. Only :func:`transition` and sign-up call it."""
    values = {
        "subscriber_id": subscriber_id,
        "from_status": before,
        "to_status": to,
        "at": now,
        "source": source[:100],
        "ip": ip,
        "detail": detail,
    }
    return int(connection.execute(statements.INSERT_EVENT, values).scalar_one())


def pending_generation(session: Session, subscriber_id: int) -> int | None:
    """The id of the consent event that last made this subscriber pending (None: never)."""
    return session.exec(
        select(func.max(ConsentEvent.id)).where(
            col(ConsentEvent.subscriber_id) == subscriber_id,
            col(ConsentEvent.to_status) == S.pending,
        )
    ).one()


def confirmation_mail(
    session: Session, settings: Settings, subscriber: Subscriber, now: datetime
) -> Mailing | None:
    """A confirmation mail for this subscriber, unless the per-address daily limit is reached.

    Counts it (``confirmations_sent``, ``confirmation_sent_at``) whoever asks: the
    form, ``subscribers add --send-confirmation`` or an import.
    """
    session.add(subscriber)
    session.flush()
    assert subscriber.id is not None
    mailing = _confirmation(
        session, settings, subscriber.id, subscriber.email, subscriber.email_key, None, now
    )
    session.expire(subscriber, ["confirmations_sent", "confirmation_sent_at"])  # counted in SQL
    return mailing


def _confirmation(
    session: Session,
    settings: Settings,
    subscriber_id: int,
    email: str,
    key: str,
    generation: int | None,
    now: datetime,
) -> Mailing | None:
    allowed = ratelimit.allow(
        session,
        ratelimit.CONFIRM_MAIL_PER_ADDRESS,
        key,
        settings.confirm_mail_limit,
        ratelimit.ADDRESS_WINDOW,
        now,
    )
    if not allowed:
        return None
    connection = session.connection()
    connection.execute(statements.COUNT_CONFIRMATION, {"p_id": subscriber_id, "p_now": now})
    if generation is None:
        generation = pending_generation(session, subscriber_id)
    # No name: a confirmation goes to an address nobody has verified yet.
    return Mailing(subscriber_id, email, None, generation)


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
    # Core statements built once (see linked.subscribers.statements): this runs per request.
    connection = session.connection()
    row = connection.execute(statements.FIND, {"p_key": address.key}).first()
    if row is None:
        values = {
            "email": address.email,
            "email_key": address.key,
            "name": name,
            "status": S.pending,
            "created_at": now,
            "updated_at": now,
            "source": source[:100],
            "ip": ip,
            "confirmations_sent": 0,
            "soft_bounces": 0,
        }
        subscriber_id = int(connection.execute(statements.INSERT_SUBSCRIBER, values).scalar_one())
        generation: int | None = record_event(
            connection, subscriber_id, None, S.pending, source, ip, None, now
        )
        email_to = address.email
    else:
        subscriber_id, email_to, known_name, status = row
        status = S(status)
        if status is S.confirmed:
            # The same counting as for anyone else, so the answer takes as long (no enumeration).
            ratelimit.allow(
                session,
                ratelimit.CONFIRM_MAIL_PER_ADDRESS,
                address.key,
                settings.confirm_mail_limit,
                ratelimit.ADDRESS_WINDOW,
                now,
            )
            return None
        if status is not S.pending:
            # Leaving (or bouncing) ends consent: coming back needs a fresh confirmation
            # (what transition() does for a change to pending, in two statements).
            params = {
                "p_id": subscriber_id,
                "p_status": S.pending,
                "p_now": now,
                "p_source": source[:100],
                "p_ip": ip,
                "p_name": name or known_name,
            }
            connection.execute(statements.BACK_TO_PENDING, params)
            detail = f"subscribed again after {status.value}"
            generation = record_event(
                connection, subscriber_id, status, S.pending, source, ip, detail, now
            )
        else:
            if name and not known_name:
                connection.execute(statements.SET_NAME, {"p_id": subscriber_id, "p_name": name})
            generation = None
    return _confirmation(session, settings, subscriber_id, email_to, address.key, generation, now)


def confirm(
    session: Session,
    subscriber_id: int,
    *,
    generation: int | None = None,
    source: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
) -> ConfirmResult:
    """The person followed their confirmation link: pending becomes confirmed.

    ``generation`` is the link's (see :func:`pending_generation`): a link made for an
    earlier subscription of the same person confirms nothing. Only callers acting
    for the person themselves, never a link, may leave it out.
    """
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.erased_at is not None:
        return ConfirmResult(ConfirmOutcome.not_pending)
    if subscriber.status is S.confirmed:
        return ConfirmResult(ConfirmOutcome.already_confirmed)
    if subscriber.status is not S.pending:
        return ConfirmResult(ConfirmOutcome.not_pending)
    if generation is not None and generation != pending_generation(session, subscriber_id):
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
    session: Session,
    email: str,
    kind: bounces.BounceKind | str,
    *,
    source: str = "smtp",
    soft_limit: int = SOFT_BOUNCE_LIMIT,
    now: datetime | None = None,
) -> Subscriber | None:
    """Record a ``hard`` or ``soft`` bounce or a ``complaint`` for an address.

    Goes through :func:`linked.subscribers.bounces.record`, the one recording function.
    Returns the subscriber, or None if the address is not on the list. ``kind`` may be
    the string value; an unknown kind raises :class:`LinkedError`, on the list or not.
    """
    report = bounces.BounceReport(bounces.bounce_kind(kind), source)
    try:
        subscriber = find(session, email)
    except LinkedError:
        return None
    if subscriber is None:
        return None
    bounces.record(session, subscriber, report, soft_limit=soft_limit, now=now)
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
