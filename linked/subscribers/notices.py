"""The durable queue of confirmation and welcome mails (table ``notice``).

A request that asks for a mail writes a ``notice`` row in its own transaction, so
once it has answered "Check your inbox" the mail is sent even if the process dies
next: the row waits for the asking process's sender until ``due_at``, and after
that any process's sender claims it (:func:`claim_due`). A row is deleted once the
transport accepted its mail; a temporary failure waits and tries again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.models import Notice, NoticeKind, Subscriber, utcnow
from linked.subscribers.service import ConfirmResult, Mailing

#: How long the asking process alone may send a new notice before any sender may take it.
HOLD = timedelta(seconds=30)
#: How long a claimed notice stays with its sender before another may take it.
LEASE = timedelta(seconds=120)


_TABLE: sa.Table = Notice.__table__  # type: ignore[attr-defined]
_INSERT = sa.insert(_TABLE).returning(_TABLE.c.id)


@dataclass(frozen=True)
class QueuedNotice:
    """A notice row as plain values, safe to hand from the transaction to the sender."""

    id: int
    kind: NoticeKind
    mailing: Mailing
    attempts: int = 0


def enqueue(
    session: Session, kind: NoticeKind, mailing: Mailing, *, now: datetime | None = None
) -> QueuedNotice:
    """Queue one notice in the caller's transaction."""
    now = now or utcnow()
    values = {
        "kind": kind.value,
        "subscriber_id": mailing.subscriber_id,
        "email": mailing.email,
        "generation": mailing.generation,
        "created_at": now,
        "due_at": now + HOLD,
        "attempts": 0,
    }
    notice_id = session.connection().execute(_INSERT, values).scalar_one()
    return QueuedNotice(int(notice_id), kind, mailing)


def subscribe(
    session: Session,
    settings: Settings,
    email: str,
    name: str | None,
    *,
    source: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
) -> QueuedNotice | None:
    """:func:`service.subscribe`, with its confirmation mail queued in the same transaction."""
    mailing = service.subscribe(session, settings, email, name, source=source, ip=ip, now=now)
    return None if mailing is None else enqueue(session, NoticeKind.confirm, mailing, now=now)


def confirm(
    session: Session,
    settings: Settings,
    subscriber_id: int,
    generation: int,
    *,
    source: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
) -> tuple[ConfirmResult, QueuedNotice | None]:
    """:func:`service.confirm`, with the welcome mail (if the settings want one) queued."""
    result = service.confirm(
        session, subscriber_id, generation=generation, source=source, ip=ip, now=now
    )
    if result.welcome is None or not settings.send_welcome:
        return result, None
    return result, enqueue(session, NoticeKind.welcome, result.welcome, now=now)


def claim_due(
    session: Session, *, limit: int = 100, now: datetime | None = None
) -> list[QueuedNotice]:
    """Take up to ``limit`` notices whose time has come, for :data:`LEASE`."""
    now = now or utcnow()
    rows = session.exec(
        select(Notice)
        .where(col(Notice.due_at) <= now)
        .order_by(col(Notice.due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        assert row.id is not None
        row.due_at = now + LEASE
        row.attempts += 1
        session.add(row)
        # The welcome mail greets the person by the name they have now (confirmed).
        welcome = row.kind == NoticeKind.welcome
        person = session.get(Subscriber, row.subscriber_id) if welcome else None
        name = person.name if person is not None else None
        mailing = Mailing(row.subscriber_id, row.email, name, row.generation)
        claimed.append(QueuedNotice(row.id, NoticeKind(row.kind), mailing, row.attempts))
    return claimed


def done(session: Session, ids: Iterable[int]) -> None:
    """The transport accepted these notices' mails: forget them."""
    ids = list(ids)
    if ids:
        session.execute(delete(Notice).where(col(Notice.id).in_(ids)))


def retry_later(
    session: Session, notice_id: int, error: str, *, after: timedelta, now: datetime | None = None
) -> None:
    """A temporary failure: try this notice again ``after`` from now."""
    row = session.get(Notice, notice_id)
    if row is not None:
        row.due_at = (now or utcnow()) + after
        row.last_error = error[:500]
        session.add(row)
