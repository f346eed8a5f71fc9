"""The administrator's subscriber operations, each audited in the caller's transaction.

What ``linked subscribers …`` (through :mod:`linked.subscribers.admin`) and the
console both call: every function takes a session and the acting
:class:`~linked.accounts.audit.Actor`; the caller commits once, so a change and
its audit row stand or fall together. Audit rows name subscribers by id only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO, cast

import sqlalchemy as sa
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import exporter, importer, privacy, service
from linked.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus, utcnow
from linked.subscribers.service import Mailing

S = SubscriberStatus
PAGE_SIZE = 50


def target(subscriber: Subscriber) -> str:
    return f"subscriber:{subscriber.id}"


def get(session: Session, subscriber_id: int) -> Subscriber:
    """A subscriber who has not been erased; LinkedError otherwise."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.erased_at is not None:
        raise LinkedError("there is no such subscriber (or their data was erased)")
    return subscriber


def add(
    session: Session,
    settings: Settings,
    actor: Actor,
    email: str,
    name: str | None = None,
    *,
    consent_note: str | None = None,
    consent_given_elsewhere: bool = False,
    send_confirmation: bool = False,
    source: str = "cli",
) -> tuple[Subscriber, Mailing | None]:
    """Add one address: confirmed when consent was given elsewhere (say where), else pending."""
    confirmed = consent_given_elsewhere or consent_note is not None
    subscriber, mailing = service.add(
        session,
        settings,
        email,
        name,
        consent_given_elsewhere=confirmed,
        send_confirmation=send_confirmation,
        source=source,
        consent_note=consent_note,
    )
    detail = f"as {subscriber.status.value}"
    if mailing is not None:
        detail += ", confirmation mail sent"
    audit.record(session, actor, "subscriber.add", target(subscriber), detail)
    return subscriber, mailing


def unsubscribe(session: Session, actor: Actor, subscriber: Subscriber, *, source: str) -> None:
    """Unsubscribe on the person's behalf (the consent log is kept)."""
    assert subscriber.id is not None
    if not service.unsubscribe(session, subscriber.id, source=source, ip=actor.ip):
        raise LinkedError(f"{subscriber.email} is already {subscriber.status.value}")
    audit.record(session, actor, "subscriber.unsubscribe", target(subscriber))


def resend(session: Session, settings: Settings, actor: Actor, subscriber: Subscriber) -> Mailing:
    """Another confirmation mail for a pending subscriber (within the daily limit)."""
    if subscriber.status is not S.pending:
        raise LinkedError(f"{subscriber.email} is {subscriber.status.value}, not pending")
    mailing = service.confirmation_mail(session, settings, subscriber, utcnow())
    if mailing is None:
        raise LinkedError(
            f"{subscriber.email} has had {settings.confirm_mail_limit} confirmation mails "
            "today; try again tomorrow"
        )
    audit.record(session, actor, "subscriber.resend", target(subscriber))
    return mailing


def erase(session: Session, actor: Actor, email: str) -> None:
    """Erase a person's data (a hashed suppression entry stays)."""
    subscriber = service.find(session, email)
    privacy.erase(session, email)
    audit.record(session, actor, "subscriber.erase", target(subscriber) if subscriber else None)


def import_csv(
    session: Session,
    settings: Settings,
    actor: Actor,
    lines: Iterable[str],
    *,
    consent_given_elsewhere: bool = False,
    send_confirmations: bool = False,
    filename: str = "",
) -> importer.ImportReport:
    """Import CSV lines; bad rows are in the report with their line numbers."""
    report = importer.import_rows(
        session,
        settings,
        lines,
        consent_given_elsewhere=consent_given_elsewhere,
        send_confirmations=send_confirmations,
    )
    detail = (
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"skipped {len(report.skipped)}"
    )
    audit.record(session, actor, "subscriber.import", filename[:200] or None, detail)
    return report


def export_csv(
    session: Session, actor: Actor, out: TextIO, status: SubscriberStatus | None = None
) -> int:
    """Write the list as spreadsheet-safe CSV; return how many rows."""
    count = exporter.export_csv(session, out, status)
    scope = f"status {status.value}" if status else "all"
    audit.record(session, actor, "subscriber.export", None, f"{count} rows ({scope})")
    return count


def person_data(session: Session, actor: Actor, email: str) -> dict[str, Any]:
    """Everything stored about one person (a subject access request), audited."""
    data = privacy.person_data(session, email)
    subscriber = service.find(session, email)
    audit.record(
        session, actor, "subscriber.export_person", target(subscriber) if subscriber else None
    )
    return data


#: SQLite's FTS5 trigram index of addresses and names (made by migration 0008 when the
#: SQLite build has the trigram tokenizer).
_SEARCH = sa.table("subscriber_search", sa.column("rowid", sa.Integer))
_HAS_INDEX: dict[str, bool] = {}


def _has_search_index(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    url = str(bind.engine.url) if isinstance(bind, sa.Connection) else str(bind.url)
    if url not in _HAS_INDEX or url.endswith(":memory:"):
        _HAS_INDEX[url] = sa.inspect(session.connection()).has_table("subscriber_search")
    return _HAS_INDEX[url]


@dataclass(frozen=True)
class Page:
    """One page of a search: ``after`` is the id to continue from, None on the last page."""

    rows: Sequence[Subscriber]
    after: int | None


def search(
    session: Session,
    text: str = "",
    status: SubscriberStatus | None = None,
    *,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Newest first, by part of the address or name; keyset pages (``id < after``)."""
    query = select(Subscriber).where(col(Subscriber.erased_at).is_(None))
    words = text.strip().casefold()
    key = cast(sa.ColumnElement[Any], col(Subscriber.id))
    if words and len(words) >= 3 and _has_search_index(session):
        # SQLite: the trigram index finds the rows, newest first, and stops at the page's end.
        phrase = '"' + words.replace('"', '""') + '"'
        key = _SEARCH.c.rowid
        query = query.join(_SEARCH, _SEARCH.c.rowid == col(Subscriber.id)).where(
            sa.text("subscriber_search MATCH :phrase").bindparams(phrase=phrase)
        )
    elif words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if session.get_bind().dialect.name == "postgresql":  # trigram GIN indexes (0008)
            email, name = col(Subscriber.email_key).like, col(Subscriber.name).ilike
        else:  # SQLite's LIKE already ignores (ASCII) case
            email, name = col(Subscriber.email_key).like, col(Subscriber.name).like
        query = query.where(or_(email(pattern, escape="\\"), name(pattern, escape="\\")))
    if status is not None:
        query = query.where(col(Subscriber.status) == status)
    if after is not None:
        query = query.where(key < after)
    rows = session.exec(query.order_by(key.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def counts(session: Session) -> dict[SubscriberStatus, int]:
    """How many subscribers are in each status (all statuses, zeros included)."""
    result = dict.fromkeys(SubscriberStatus, 0)
    query = (
        select(Subscriber.status, func.count())
        .where(col(Subscriber.erased_at).is_(None))
        .group_by(col(Subscriber.status))
    )
    for status, number in session.exec(query):
        result[SubscriberStatus(status)] = number
    return result


def consent_history(session: Session, subscriber: Subscriber) -> Sequence[ConsentEvent]:
    """Every change of status of one subscriber, oldest first."""
    query = (
        select(ConsentEvent)
        .where(col(ConsentEvent.subscriber_id) == subscriber.id)
        .order_by(col(ConsentEvent.at), col(ConsentEvent.id))
    )
    return session.exec(query).all()


def since(session: Session, when: datetime) -> tuple[int, int]:
    """Sign-ups (new subscribers) and leavers (unsubscribed, bounced, complained) since ``when``."""
    joined = session.exec(
        select(func.count()).select_from(Subscriber).where(col(Subscriber.created_at) >= when)
    ).one()
    left = session.exec(
        select(func.count())
        .select_from(ConsentEvent)
        .where(
            col(ConsentEvent.at) >= when,
            col(ConsentEvent.to_status).in_([S.unsubscribed, S.bounced, S.complained]),
            col(ConsentEvent.source) != "erase",
        )
    ).one()
    return int(joined), int(left)
