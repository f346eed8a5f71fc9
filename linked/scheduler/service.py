"""What ``linked schedule`` and the console call: add, list and cancel scheduled sends.

:func:`schedule` and :func:`unschedule` write the job row, its event and the audit
event in the caller's transaction (the console's); ``schedule_edition`` and
``cancel_schedule`` run them in one of their own (the CLI's). Nothing starts a
scheduler, so nothing runs in the CLI process; a running ``linked serve`` picks the
change up on its next poll.

Times without a zone are read in ``settings.zone`` (``LINKED_TIMEZONE``) with
:mod:`zoneinfo`. At the clock changes that is deterministic, as follows:

* an *ambiguous* wall time (Europe/London, last Sunday of October, 01:00–01:59
  happens twice) means the **first** occurrence, still in summer time (fold=0);
* a *non-existent* wall time (last Sunday of March, 01:00–01:59 is skipped) is read
  with the offset in force before the change, so it lands the length of the gap
  later: 01:30 becomes 02:30 BST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.authoring.approval import people, require_approval, target
from linked.db.writes import write
from linked.delivery.service import open_database
from linked.edition import load_edition
from linked.errors import LinkedError
from linked.scheduler import events
from linked.scheduler.models import EventKind
from linked.scheduler.runtime import Scheduler, delete_job, put_job
from linked.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class ScheduleEntry:
    """One line of ``linked schedule list``: ``when`` is local time; ``detail`` says why."""

    edition: str
    when: datetime | None
    state: str
    detail: str = ""


def resolve_time(settings: Settings, at: datetime) -> datetime:
    """``at`` as an aware time in ``settings.zone`` (naive = local; see the module notes)."""
    zone = settings.zone
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone, fold=0)
    # The round trip through UTC normalises a non-existent wall time to a real one.
    return at.astimezone(UTC).astimezone(zone)


@contextmanager
def _job_store(settings: Settings, db: Engine | None = None) -> Iterator[Scheduler]:
    scheduler = Scheduler(settings, db=db)
    scheduler.open_store()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def schedule(
    session: Session,
    settings: Settings,
    slug: str,
    at: datetime | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> datetime:
    """Schedule the send of ``slug`` at ``at`` (default: the edition's ``send_at``).

    Returns the local time it was scheduled for. Refuses a time that is not in the
    future, a missing edition and an edition without ``send_at`` when ``at`` is None;
    with ``send_requires_approval``, an edition whose files are not the approved ones
    (checked again when the time comes). Scheduling again replaces the earlier time.
    The job, its ``scheduled`` event and the audit event (naming the actor, the approver
    and the last editor) are written in the caller's transaction; the caller commits.
    """
    folder = settings.editions_dir / slug
    if not folder.is_dir():
        raise LinkedError(f"no edition folder {folder}")
    if at is None:
        edition = load_edition(folder, settings.zone)
        if edition.send_at is None:
            raise LinkedError(
                f"edition {slug!r} has no send_at in edition.md: give a time with --at"
            )
        at = edition.send_at
    when = resolve_time(settings, at)
    now = now or datetime.now(UTC)
    if when <= now:
        raise LinkedError(
            f"{when:%Y-%m-%d %H:%M:%S %Z} is in the past (it is now "
            f"{now.astimezone(settings.zone):%Y-%m-%d %H:%M:%S %Z}); choose a later time"
        )
    require_approval(session, settings, slug)
    conn = session.connection()
    put_job(conn, settings, slug, when)
    events.record(conn, slug, EventKind.scheduled, f"send at {when.isoformat()}", when)
    detail = f"at {when.isoformat()}; {people(session, slug)}"
    audit.record(session, actor, "send.schedule", target(slug), detail)
    return when


def unschedule(session: Session, slug: str, *, actor: Actor) -> None:
    """Remove the scheduled send of ``slug`` (LinkedError when none is scheduled).

    The job goes with a ``cancelled`` event and the audit event, in the caller's
    transaction; the caller commits.
    """
    conn = session.connection()
    if not delete_job(conn, slug):
        raise LinkedError(f"edition {slug!r} is not scheduled")
    events.record(conn, slug, EventKind.cancelled, "cancelled")
    audit.record(session, actor, "send.unschedule", target(slug))


def schedule_edition(
    settings: Settings,
    slug: str,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
    actor: Actor | None = None,
) -> datetime:
    """``linked schedule``: :func:`schedule` in a transaction of its own (as the CLI)."""
    who = actor or Actor.cli()
    return _committed(settings, lambda s: schedule(s, settings, slug, at, actor=who, now=now))


def cancel_schedule(settings: Settings, slug: str, *, actor: Actor | None = None) -> None:
    """``linked schedule cancel``: :func:`unschedule` in a transaction of its own."""
    who = actor or Actor.cli()
    _committed(settings, lambda s: unschedule(s, slug, actor=who))


def _committed(settings: Settings, work: Callable[[Session], T]) -> T:
    """Run ``work`` on the settings' (migrated) database in one committed transaction."""
    db = open_database(settings)
    try:
        return write(db, work)
    finally:
        db.dispose()


def scheduled_for(settings: Settings, slug: str, db: Engine | None = None) -> datetime | None:
    """When the send of ``slug`` is scheduled (local time), or None; ``db``: an open engine."""
    with _job_store(settings, db) as scheduler:
        when = scheduler.pending().get(slug)
    return when.astimezone(settings.zone) if when else None


def list_schedules(settings: Settings, *, now: datetime | None = None) -> list[ScheduleEntry]:
    """Pending schedules, and editions whose last scheduled send was missed, blocked or done.

    States: ``scheduled`` (in the future), ``due`` (past, within grace: starts when
    ``linked serve`` runs), ``missed-outside-grace`` (past grace: will not be sent),
    and for fired jobs the last event (``started``, ``sent``, ``blocked``, ``missed``,
    ``failed``). Cancelled schedules are not listed.
    """
    now = now or datetime.now(UTC)
    grace = timedelta(hours=settings.schedule_grace_hours)
    zone = settings.zone
    with _job_store(settings) as scheduler:
        pending = scheduler.pending()
        latest = events.latest(scheduler.db)
    entries: list[ScheduleEntry] = []
    for slug, when in pending.items():
        if when > now:
            state, detail = "scheduled", ""
        elif now - when <= grace:
            state, detail = "due", "starts as soon as linked serve runs"
        else:
            state, detail = "missed-outside-grace", "will not be sent; schedule it again"
        entries.append(ScheduleEntry(slug, when.astimezone(zone), state, detail))
    for slug, event in latest.items():
        if slug in pending or event.kind in (EventKind.scheduled, EventKind.cancelled):
            continue
        fired = event.run_at.astimezone(zone) if event.run_at else None
        entries.append(ScheduleEntry(slug, fired, event.kind, event.detail))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: (e.when or far, e.edition))
