"""Database tables for subscribers, consent history, suppressions, rate limits and notices.

Times are timezone-aware UTC everywhere (``utcnow()``): SQLModel stores them as
``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and as UTC text on SQLite, and hands
them back aware on both. The migrations in
``linked/db/migrations`` are hand-written; ``tests/test_migrate.py`` checks they
match these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from linked.subscribers.status import BounceKind as BounceKind  # re-exported
from linked.subscribers.status import SubscriberStatus as SubscriberStatus  # re-exported


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


# Stored as VARCHAR on both databases (no native ENUM type to migrate on PostgreSQL).
STATUS_TYPE = sa.Enum(
    SubscriberStatus,
    name="subscriber_status",
    native_enum=False,
    length=20,
    validate_strings=True,
)
BOUNCE_KIND_TYPE = sa.Enum(
    BounceKind, name="bounce_kind", native_enum=False, length=20, validate_strings=True
)


class Subscriber(SQLModel, table=True):
    """One address on the list. ``email`` is normalised; ``email_key`` is its case-folded form."""

    __tablename__ = "subscriber"
    # AUTOINCREMENT stops SQLite reusing an id, so an old unsubscribe link never hits someone new.
    # The indexes keep the console's counts and its "last 30 days" fast at 100,000 rows.
    __table_args__ = (
        sa.Index("ix_subscriber_status_erased", "status", "erased_at"),
        sa.Index("ix_subscriber_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=sa.String(320), unique=True, index=True)
    email_key: str = Field(sa_type=sa.String(320), unique=True, index=True)
    name: str | None = Field(default=None, sa_type=sa.String(200))
    status: SubscriberStatus = Field(default=SubscriberStatus.pending, sa_type=STATUS_TYPE)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    source: str = Field(default="web", sa_type=sa.String(100))
    ip: str | None = Field(default=None, sa_type=sa.String(45))
    confirmation_sent_at: datetime | None = None
    confirmations_sent: int = 0
    soft_bounces: int = 0
    erased_at: datetime | None = None


class ConsentEvent(SQLModel, table=True):
    """One change of a subscriber's status: the consent record (when, how, from where)."""

    __tablename__ = "consent_event"
    __table_args__ = (sa.Index("ix_consent_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    from_status: SubscriberStatus | None = Field(default=None, sa_type=STATUS_TYPE)
    to_status: SubscriberStatus = Field(sa_type=STATUS_TYPE)
    at: datetime = Field(default_factory=utcnow)
    source: str = Field(sa_type=sa.String(100))
    ip: str | None = Field(default=None, sa_type=sa.String(45))
    detail: str | None = Field(default=None, sa_type=sa.String(200))


class Suppression(SQLModel, table=True):
    """A hashed address that must not be added or imported again (left after ``erase``)."""

    __tablename__ = "suppression"

    id: int | None = Field(default=None, primary_key=True)
    address_hash: str = Field(sa_type=sa.String(64), unique=True, index=True)
    reason: str = Field(sa_type=sa.String(50))
    created_at: datetime = Field(default_factory=utcnow)


class RateCounter(SQLModel, table=True):
    """How many actions one key (a hashed IP or address) used in its current window.

    One row per (bucket, key), changed by a single atomic upsert
    (:func:`linked.subscribers.ratelimit.allow`), so concurrent requests on any
    number of processes can never count past the limit. ``key`` is a hash.
    """

    __tablename__ = "rate_counter"

    bucket: str = Field(primary_key=True, sa_type=sa.String(32))
    key: str = Field(primary_key=True, sa_type=sa.String(64))
    window_start: datetime = Field(default_factory=utcnow, index=True)
    used: int = 0


class NoticeKind(StrEnum):
    """The one-off mails to a subscriber that are queued rather than sent in a request."""

    confirm = "confirm"
    welcome = "welcome"


class Notice(SQLModel, table=True):
    """A confirmation or welcome mail waiting to be sent: the durable queue of notices.

    Written in the transaction that asks for it, so a crash after the answer still
    sends it; deleted once the transport accepted it. ``due_at`` is when any sender
    may take it: the request's own process has it until then, a retry waits until then.
    """

    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=sa.String(20))
    subscriber_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    email: str = Field(sa_type=sa.String(320))
    #: The consent event that made the subscription pending (binds the confirm link to it).
    generation: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    due_at: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.String(500))


class BounceEvent(SQLModel, table=True):
    """One bounce or complaint: a subscriber's bounce history and the mailbox's idempotence.

    ``key`` identifies a message from the bounce mailbox (its Message-ID's digest), so
    a message read twice is counted once; webhook and SMTP-time reports have none.
    ``subscriber_id`` is None for a report about an address not on the list.
    ``delivery_id`` is not a foreign key: the delivery tables live in a higher layer.
    """

    __tablename__ = "bounce_event"
    __table_args__ = (sa.Index("ix_bounce_event_window", "subscriber_id", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, sa_type=sa.String(64), unique=True)
    subscriber_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("subscriber.id", ondelete="CASCADE"), nullable=True
        ),
    )
    delivery_id: int | None = None
    edition: str | None = Field(default=None, sa_type=sa.String(200))
    kind: BounceKind = Field(sa_type=BOUNCE_KIND_TYPE)
    source: str = Field(sa_type=sa.String(20))
    at: datetime = Field(default_factory=utcnow)
    status: str | None = Field(default=None, sa_type=sa.String(20))
    diagnostic: str | None = Field(default=None, sa_type=sa.String(500))


class Lease(SQLModel, table=True):
    """A named lease one process holds at a time (the bounce fetcher), on any database."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, sa_type=sa.String(50))
    owner: str | None = Field(default=None, sa_type=sa.String(100))
    until: datetime | None = None
