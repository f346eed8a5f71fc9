"""Storage limitation: delete what Linked no longer needs to keep.

* Sign-ups never confirmed are deleted ``pending_days`` after their last change
  (with their consent log). The flood limits keep working: their counts are
  hashed keys in ``rate_counter``, never the address.
* Delivery rows older than ``delivery_log_days`` lose the address and the
  server's reply (which may quote it); the counts per send stay.

``linked serve`` and ``linked worker`` run :func:`purge` daily; ``linked subscribers
purge --dry-run`` shows what would go. Each real run leaves an audit row, which
is how the dashboard knows when it last ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.db.session import open_session
from linked.delivery.models import FINAL_STATES, Delivery
from linked.settings import Settings
from linked.subscribers.models import ConsentEvent, Notice, Subscriber, SubscriberStatus, utcnow

PURGE_ACTION = "retention.purge"
PURGED_ADDRESS = ""
#: How often the daily job looks whether a day has passed since the last run.
CHECK_EVERY = timedelta(hours=1)
RUN_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    pending_deleted: int
    deliveries_cleared: int

    def __str__(self) -> str:
        return (
            f"{self.pending_deleted} unconfirmed sign-ups deleted, "
            f"{self.deliveries_cleared} delivery rows cleared of addresses"
        )


def _stale_pending(settings: Settings, now: datetime) -> sa.ColumnElement[bool]:
    cutoff = now - timedelta(days=settings.pending_days)
    return sa.and_(
        col(Subscriber.status) == SubscriberStatus.pending,
        col(Subscriber.confirmed_at).is_(None),
        col(Subscriber.erased_at).is_(None),
        col(Subscriber.updated_at) < cutoff,
    )


def _old_deliveries(settings: Settings, now: datetime) -> sa.ColumnElement[bool]:
    cutoff = now - timedelta(days=settings.delivery_log_days)
    return sa.and_(
        col(Delivery.updated_at) < cutoff,
        col(Delivery.state).in_([state.value for state in FINAL_STATES]),
        col(Delivery.email) != PURGED_ADDRESS,
    )


def purge(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Delete (or with ``dry_run`` count) what is past its retention time."""
    now = now or utcnow()
    count = sa.func.count()
    pending = session.exec(
        select(count).select_from(Subscriber).where(_stale_pending(settings, now))
    ).one()
    old = session.exec(
        select(count).select_from(Delivery).where(_old_deliveries(settings, now))
    ).one()
    report = PurgeReport(int(pending), int(old))
    if dry_run:
        return report
    stale_ids = select(Subscriber.id).where(_stale_pending(settings, now))
    # Their deliveries (skipped rows) and consent log go with them (ON DELETE CASCADE,
    # also done by hand for SQLite connections without foreign keys).
    session.execute(sa.delete(Delivery).where(col(Delivery.subscriber_id).in_(stale_ids)))
    session.execute(sa.delete(ConsentEvent).where(col(ConsentEvent.subscriber_id).in_(stale_ids)))
    session.execute(sa.delete(Notice).where(col(Notice.subscriber_id).in_(stale_ids)))
    session.execute(sa.delete(Subscriber).where(_stale_pending(settings, now)))
    session.execute(
        sa.update(Delivery)
        .where(_old_deliveries(settings, now))
        .values(email=PURGED_ADDRESS, last_reply=None)
    )
    audit.record(session, actor, PURGE_ACTION, None, str(report), now=now)
    return report


def run_purge(settings: Settings, *, dry_run: bool = False) -> PurgeReport:
    """``linked subscribers purge``: one transaction, as ``cli:<login>``."""
    with open_session(settings) as session:
        report = purge(session, settings, Actor.cli(), dry_run=dry_run)
        session.commit()
        return report


def purge_if_due(settings: Settings, engine: Engine, now: datetime | None = None) -> bool:
    """The daily job: purge when the last run is a day old or more; True when it ran."""
    now = now or utcnow()
    with Session(engine) as session:
        last = audit.latest(session, PURGE_ACTION)
        if last is not None and now - last.at < RUN_EVERY:
            return False
        purge(session, settings, Actor.system(), now=now)
        session.commit()
        return True
