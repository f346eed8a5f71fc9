"""The audit log: who did what and when, written in the caller's transaction.

:func:`record` is the only writer; nothing updates or deletes audit rows. The CLI
records as ``cli:<login name>``, background jobs as ``system`` (the scheduler as
``system:scheduler``), the console as the signed-in account; :func:`who` words them
for the console's log.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from linked.accounts.models import AuditEvent, utcnow

PAGE_SIZE = 50


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account (by id and address), the command line, or the system."""

    name: str
    account_id: int | None = None
    ip: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no login name in a container
            user = "unknown"
        return cls(f"cli:{user}")

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @classmethod
    def scheduler(cls) -> Actor:
        """The scheduler starting a scheduled send (nobody pressed a button at that time)."""
        return cls("system:scheduler")


def who(actor: str) -> str:
    """An actor as the console's audit log shows it: an address as it is, the rest in words."""
    if actor == "system":
        return "Linked (automatic)"
    if actor.startswith("system:"):
        return f"{actor.removeprefix('system:').capitalize()} (automatic)"
    if actor.startswith("cli:"):
        return f"{actor.removeprefix('cli:')} (command line)"
    return actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    *,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one audit row to the session (committed with the change it describes)."""
    event = AuditEvent(
        at=now or utcnow(),
        account_id=actor.account_id,
        actor=actor.name[:320],
        action=action[:50],
        target=target[:200] if target else None,
        detail=detail[:500] if detail else None,
        ip=actor.ip,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What ``/admin/audit/`` and ``linked audit`` narrow the log to."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None  # an address: events by that account or about it
    action: str | None = None


def events(
    session: Session,
    where: AuditFilter,
    *,
    before_id: int | None = None,
    limit: int | None = PAGE_SIZE,
) -> Sequence[AuditEvent]:
    """Newest first; ``before_id`` pages on (keyset: fast however long the log grows)."""
    query = select(AuditEvent)
    if where.since is not None:
        query = query.where(col(AuditEvent.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEvent.at) < where.until)
    if where.actor:
        # Events by the account, and events about it (its role changed, it was disabled).
        key = where.actor.strip().casefold()
        query = query.where(
            or_(col(AuditEvent.actor) == key, col(AuditEvent.target) == f"account:{key}")
        )
    if where.action:
        query = query.where(col(AuditEvent.action) == where.action)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    return session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all()


def latest(session: Session, action: str) -> AuditEvent | None:
    """The newest event of one kind (e.g. when the retention job last ran)."""
    query = select(AuditEvent).where(col(AuditEvent.action) == action)
    return session.exec(query.order_by(col(AuditEvent.id).desc()).limit(1)).first()


def actions(session: Session) -> list[str]:
    """Every kind of event in the log, for the filter."""
    query = select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))
    return list(session.exec(query))
