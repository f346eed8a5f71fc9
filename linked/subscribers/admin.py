"""The command line's facades, one function per ``linked subscribers`` command.

Each opens the database named by the settings (applying migrations first, as the
app does on start), calls the same function in :mod:`linked.subscribers.manage`
as the console does, as ``cli:<login>``, in one transaction, and returns plain data.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import col, select

from linked.accounts.audit import Actor
from linked.db.session import open_session
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import importer, mail, manage, service
from linked.subscribers.models import Subscriber, SubscriberStatus


@dataclass(frozen=True)
class SubscriberRow:
    """A subscriber as shown by ``linked subscribers list``."""

    email: str
    name: str | None
    status: SubscriberStatus
    created_at: datetime
    confirmed_at: datetime | None
    source: str


def add_subscriber(
    settings: Settings,
    email: str,
    name: str | None = None,
    *,
    consent_given_elsewhere: bool = False,
    send_confirmation: bool = False,
) -> SubscriberRow:
    """Add one address (confirmed only with consent given elsewhere)."""
    with open_session(settings) as session:
        subscriber, confirmation = manage.add(
            session,
            settings,
            Actor.cli(),
            email,
            name,
            consent_given_elsewhere=consent_given_elsewhere,
            send_confirmation=send_confirmation,
        )
        session.commit()
        row = _row(subscriber)
    if confirmation is not None:
        asyncio.run(mail.send_confirmations(settings, [confirmation]))
    return row


def import_file(
    settings: Settings,
    path: Path,
    *,
    consent_given_elsewhere: bool = False,
    send_confirmations: bool = False,
) -> importer.ImportReport:
    """Import a CSV file in one transaction; send confirmation mails only when asked."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        raise LinkedError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LinkedError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    with open_session(settings) as session:
        report = manage.import_csv(
            session,
            settings,
            Actor.cli(),
            lines,
            filename=path.name,
            consent_given_elsewhere=consent_given_elsewhere,
            send_confirmations=send_confirmations,
        )
        session.commit()
    if report.confirmations:
        asyncio.run(mail.send_confirmations(settings, report.confirmations))
    return report


def export_subscribers(
    settings: Settings, out: TextIO, status: SubscriberStatus | None = None
) -> int:
    """Write the list as spreadsheet-safe CSV; return the number of rows."""
    with open_session(settings) as session:
        count = manage.export_csv(session, Actor.cli(), out, status)
        session.commit()
        return count


def export_person(settings: Settings, email: str) -> dict[str, Any]:
    """One person's data as JSON-ready data."""
    with open_session(settings) as session:
        data = manage.person_data(session, Actor.cli(), email)
        session.commit()
        return data


def list_subscribers(
    settings: Settings, status: SubscriberStatus | None = None, limit: int | None = None
) -> list[SubscriberRow]:
    """Subscribers, oldest first, optionally of one status."""
    with open_session(settings) as session:
        query = select(Subscriber).where(col(Subscriber.erased_at).is_(None))
        if status is not None:
            query = query.where(col(Subscriber.status) == status)
        query = query.order_by(col(Subscriber.id)).limit(limit)
        return [_row(subscriber) for subscriber in session.exec(query)]


def count_subscribers(settings: Settings) -> dict[SubscriberStatus, int]:
    """How many subscribers are in each status (all statuses, zeros included)."""
    with open_session(settings) as session:
        return manage.counts(session)


def remove_subscriber(settings: Settings, email: str) -> SubscriberRow:
    """Unsubscribe an address on the person's behalf (the consent log is kept)."""
    with open_session(settings) as session:
        subscriber = service.find(session, email)
        if subscriber is None:
            raise LinkedError(f"{email.strip()} is not on the list")
        manage.unsubscribe(session, Actor.cli(), subscriber, source="cli")
        session.commit()
        return _row(subscriber)


def erase_subscriber(settings: Settings, email: str) -> None:
    """Erase a person's data, keeping a hashed suppression entry."""
    with open_session(settings) as session:
        manage.erase(session, Actor.cli(), email)
        session.commit()


def _row(subscriber: Subscriber) -> SubscriberRow:
    return SubscriberRow(
        email=subscriber.email,
        name=subscriber.name,
        status=subscriber.status,
        created_at=subscriber.created_at,
        confirmed_at=subscriber.confirmed_at,
        source=subscriber.source,
    )
