"""``linked subscribers import``: read a CSV of subscribers, report bad rows, merge duplicates.

Columns: ``email,name,status,consented_at,source`` (only ``email`` is required). Every
row is checked first; bad rows are reported with their line number and skipped; the
good rows are applied in the caller's single transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers.addresses import Address, InvalidAddress, clean_name, normalise
from linked.subscribers.models import Subscriber, SubscriberStatus, utcnow
from linked.subscribers.service import Mailing, confirmation_mail, is_suppressed, transition

S = SubscriberStatus
COLUMNS = ("email", "name", "status", "consented_at", "source")
# When one address appears twice, the row that asks for the least mail wins.
_PRECEDENCE = [S.complained, S.bounced, S.unsubscribed, S.confirmed, S.pending]
_LEAVING = (S.unsubscribed, S.bounced, S.complained)


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did; ``confirmations`` are the pending subscribers that may be mailed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    downgraded: int = 0  # rows claiming ``confirmed`` imported as pending (no consent flag)
    skipped: list[RowProblem] = field(default_factory=list)
    confirmations: list[Mailing] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    address: Address
    name: str | None
    status: SubscriberStatus
    consented_at: datetime | None
    source: str


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    # A time without a zone in a CSV is taken as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse(line: int, raw: dict[str, str | None]) -> _Row:
    """One CSV record as a checked row; raises ValueError/LinkedError with the reason."""
    cell = {key: (raw.get(key) or "").strip() for key in COLUMNS}
    address = normalise(cell["email"])
    status_text = cell["status"].lower() or S.pending
    try:
        status = SubscriberStatus(status_text)
    except ValueError:
        raise ValueError(
            f"unknown status {cell['status']!r} (use one of {', '.join(s.value for s in S)})"
        ) from None
    try:
        consented_at = _parse_time(cell["consented_at"])
    except ValueError:
        raise ValueError(
            f"consented_at {cell['consented_at']!r} is not an ISO date or date-time"
        ) from None
    if len(cell["source"]) > 100:
        raise ValueError("source is longer than 100 characters")
    return _Row(
        line, address, clean_name(cell["name"]), status, consented_at, cell["source"] or "import"
    )


def read_rows(lines: Iterable[str], report: ImportReport) -> list[_Row]:
    """Check every record, report bad ones, and merge duplicates (case-insensitive)."""
    reader = csv.DictReader(iter(lines))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "email" not in header:
        raise LinkedError(
            f"the CSV file needs a header row with an 'email' column ({', '.join(COLUMNS)})"
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise LinkedError(
            f"unknown CSV columns: {', '.join(unknown)} (expected {', '.join(COLUMNS)})"
        )
    reader.fieldnames = header
    rows: dict[str, _Row] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            report.skipped.append(RowProblem(line, "more cells than columns"))
            continue
        try:
            row = _parse(line, raw)
        except (ValueError, InvalidAddress) as exc:
            report.skipped.append(RowProblem(line, str(exc)))
            continue
        earlier = rows.get(row.address.key)
        if earlier is None:
            rows[row.address.key] = row
            continue
        report.merged += 1
        if _PRECEDENCE.index(row.status) < _PRECEDENCE.index(earlier.status):
            earlier.status = row.status
            earlier.consented_at = row.consented_at or earlier.consented_at
        earlier.name = earlier.name or row.name
    return list(rows.values())


def import_rows(
    session: Session,
    settings: Settings,
    lines: Iterable[str],
    *,
    consent_given_elsewhere: bool = False,
    send_confirmations: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Import CSV lines into the session (the caller commits once, for all rows).

    With ``send_confirmations`` the report lists a confirmation mail for each pending
    address, counted against its daily limit, for the caller to send after the commit.
    """
    now = now or utcnow()
    report = ImportReport()
    for row in read_rows(lines, report):
        if is_suppressed(session, row.address):
            report.skipped.append(
                RowProblem(
                    row.line,
                    "address was erased at the person's request; only they can re-subscribe",
                )
            )
            continue
        status = row.status
        if status is S.confirmed and not consent_given_elsewhere:
            status = S.pending
            report.downgraded += 1
        pending = _apply(session, row, status, report, now)
        if pending is not None and send_confirmations:
            mailing = confirmation_mail(session, settings, pending, now)
            if mailing is not None:
                report.confirmations.append(mailing)
    return report


def _apply(
    session: Session, row: _Row, status: SubscriberStatus, report: ImportReport, now: datetime
) -> Subscriber | None:
    """Add or update the row's subscriber; return it when it was made pending."""
    subscriber = session.exec(
        select(Subscriber).where(col(Subscriber.email_key) == row.address.key)
    ).first()
    detail = "imported"
    if status is S.confirmed:
        detail = "consent given elsewhere"
        if row.consented_at:
            detail += f", consented at {row.consented_at.isoformat()}"
    if subscriber is None:
        subscriber = Subscriber(
            email=row.address.email,
            email_key=row.address.key,
            name=row.name,
            source=row.source,
            created_at=now,
            updated_at=now,
        )
        transition(session, subscriber, status, source=row.source, detail=detail, now=now)
        report.added += 1
    elif _should_change(subscriber.status, status):
        subscriber.name = subscriber.name or row.name
        transition(session, subscriber, status, source=row.source, detail=detail, now=now)
        report.updated += 1
    else:
        if row.name and not subscriber.name:
            subscriber.name = row.name
            session.add(subscriber)
        report.unchanged += 1
        return None
    if status is S.confirmed and row.consented_at:
        subscriber.confirmed_at = row.consented_at
    return subscriber if status is S.pending else None


def _should_change(current: SubscriberStatus, wanted: SubscriberStatus) -> bool:
    """An import may record that someone left, or confirm a pending address — never re-add."""
    if current == wanted:
        return False
    if wanted in _LEAVING:
        return current in (S.pending, S.confirmed)
    return current is S.pending and wanted is S.confirmed
