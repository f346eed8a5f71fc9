"""Tables for sends: one ``send`` row per edition sent, one ``delivery`` row per recipient.

A delivery row moves ``queued → sending → sent | deferred | failed`` (or ``skipped`` when
its subscriber is no longer confirmed at send time); ``deferred`` rows go back to
``sending`` when due. The row is the truth about a recipient; see
:mod:`linked.delivery.engine` for the crash rule. Times are aware UTC, like the
subscribers tables. The migration ``0002_deliveries`` is hand-written to match.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# One clock for every table (aware UTC); re-exported for the delivery modules.
from linked.subscribers.models import utcnow as utcnow


class DeliveryState(StrEnum):
    """Where one recipient's copy of an edition is."""

    queued = "queued"
    sending = "sending"
    sent = "sent"
    deferred = "deferred"
    failed = "failed"
    skipped = "skipped"


#: States a row never leaves by itself.
FINAL_STATES = (DeliveryState.sent, DeliveryState.failed, DeliveryState.skipped)
#: States of a row whose message is still to be sent.
OPEN_STATES = (DeliveryState.queued, DeliveryState.sending, DeliveryState.deferred)


class SendStatus(StrEnum):
    """The send as a whole; workers check for ``paused`` between messages."""

    planned = "planned"
    running = "running"
    paused = "paused"
    done = "done"


class Send(SQLModel, table=True):
    """One send of one edition (a proof makes none)."""

    __tablename__ = "send"

    id: int | None = Field(default=None, primary_key=True)
    edition: str = Field(sa_type=sa.String(200), unique=True, index=True)
    subject: str = Field(default="", sa_type=sa.String(998))
    status: str = Field(default=SendStatus.planned.value, sa_type=sa.String(20))
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: The edition as composed when planned (JSON of subject, preheader, html, text), so a
    #: worker without the edition files sends exactly what was checked.
    content: str | None = Field(default=None, sa_type=sa.Text)
    #: The connections and rate in use and why, written while the send runs (``linked status``).
    pacing: str | None = Field(default=None, sa_type=sa.String(1000))
    #: SHA-256 of the edition's files the send was composed from (see
    #: ``linked.authoring.approval.edition_hash``): a later difference is a correction.
    edition_hash: str | None = Field(default=None, sa_type=sa.String(64))


class Delivery(SQLModel, table=True):
    """One recipient of one send. ``email`` is a snapshot taken when the send was planned."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("edition", "subscriber_id", name="uq_delivery_edition_subscriber"),
        sa.Index("ix_delivery_claim", "edition", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition: str = Field(sa_type=sa.String(200))
    subscriber_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    email: str = Field(sa_type=sa.String(320))
    state: str = Field(default=DeliveryState.queued.value, sa_type=sa.String(20))
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_code: int | None = None
    last_reply: str | None = Field(default=None, sa_type=sa.String(500))
    #: True when the last failure was a 5xx reply: ``linked retry`` leaves such rows alone.
    permanent: bool = False
    updated_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    lease_owner: str | None = Field(default=None, sa_type=sa.String(100))
    lease_until: datetime | None = None


class RateBucket(SQLModel, table=True):
    """One limit shared by every worker (``second``, ``hour``); see linked.delivery.ratelimit."""

    __tablename__ = "rate_bucket"

    name: str = Field(primary_key=True, sa_type=sa.String(20))
    #: Theoretical arrival time: seconds since the epoch, on the database's clock.
    tat: float = 0.0
