"""Plan a send: one ``delivery`` row per confirmed subscriber, before anything is sent.

The rows are written by a single ``INSERT … SELECT … ON CONFLICT DO NOTHING`` in
one transaction, so the plan is all or nothing, costs no memory per subscriber,
and running it again only adds subscribers confirmed since (existing rows, whatever
their state, are left alone).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import sqlalchemy as sa
from sqlmodel import Session, select

from linked.compose.composer import ComposedEmail
from linked.db import upsert
from linked.delivery.models import OPEN_STATES, Delivery, DeliveryState, Send, SendStatus, utcnow
from linked.subscribers.models import Subscriber, SubscriberStatus

T = Delivery.__table__  # type: ignore[attr-defined]
SUB = Subscriber.__table__  # type: ignore[attr-defined]


def recipients_left(session: Session, edition_slug: str) -> int:
    """How many messages starting (or continuing) the send now would try to send.

    Confirmed subscribers without a row yet, plus rows not yet final.
    """
    planned = sa.select(T.c.id).where(T.c.edition == edition_slug, T.c.subscriber_id == SUB.c.id)
    unplanned = sa.select(sa.func.count()).where(
        SUB.c.status == SubscriberStatus.confirmed, ~planned.exists()
    )
    pending = sa.select(sa.func.count()).where(
        T.c.edition == edition_slug,
        T.c.state.in_(OPEN_STATES),
    )
    return int(session.execute(unplanned).scalar_one()) + int(session.execute(pending).scalar_one())


def get_send(session: Session, edition_slug: str) -> Send | None:
    """The send of an edition, or None when it was never started."""
    return session.exec(select(Send).where(Send.edition == edition_slug)).first()


def dump_content(composed: ComposedEmail) -> str:
    """The composed edition as JSON for ``send.content``."""
    return json.dumps(asdict(composed), ensure_ascii=False)


def load_content(send: Send) -> ComposedEmail | None:
    """The edition as composed when the send was planned (None for sends planned before 0004)."""
    if not send.content:
        return None
    return ComposedEmail(**json.loads(send.content))


def write_plan(
    session: Session,
    edition_slug: str,
    composed: ComposedEmail | None = None,
    *,
    edition_hash: str | None = None,
) -> tuple[Send, int]:
    """Create (or extend) the send of an edition; return it and the number of new rows.

    ``composed`` (the checked edition) is kept with the send, so a worker anywhere
    delivers what was checked; planning again (a resumed send) keeps the newest.
    Written and flushed in the caller's transaction; the caller commits, so the plan
    can commit with what goes with it (the send's status, its audit event).
    """
    now = utcnow()
    send = get_send(session, edition_slug)
    if send is None:
        send = Send(edition=edition_slug, status=SendStatus.planned.value)
        session.add(send)
        session.flush()
    source = sa.select(
        sa.literal(edition_slug, sa.String(200)),
        SUB.c.id,
        SUB.c.email,
        sa.literal(DeliveryState.queued.value, sa.String(20)),
        sa.literal(0),
        sa.false(),
        sa.literal(now, T.c.updated_at.type),
    ).where(SUB.c.status == SubscriberStatus.confirmed)
    columns = ["edition", "subscriber_id", "email", "state", "attempts", "permanent", "updated_at"]
    dialect = session.get_bind().dialect.name
    statement = upsert.insert(T, dialect).from_select(columns, source).on_conflict_do_nothing()
    count = sa.select(sa.func.count()).where(T.c.edition == edition_slug)
    before = int(session.execute(count).scalar_one())
    session.execute(statement)
    # Counted, not rowcount: psycopg reports -1 for INSERT … SELECT through the ORM session.
    total = int(session.execute(count).scalar_one())
    added = total - before
    send.total = int(total)
    send.updated_at = now
    if composed is not None:
        send.subject = composed.subject
        send.content = dump_content(composed)
    if edition_hash is not None:
        send.edition_hash = edition_hash
    session.add(send)
    session.flush()
    return send, added
