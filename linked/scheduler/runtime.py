"""The APScheduler 3 scheduler on the project's database, and the job it runs.

Jobs live in APScheduler's SQLAlchemy job store in ``settings.database``, so a
schedule survives restarts. A job is ``send:<slug>`` calling :func:`fire` with only
``(root, slug)`` strings, so it pickles and never carries stale settings or an
edition snapshot: at fire time the edition is loaded from its files as they are then.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from linked.accounts.audit import Actor
from linked.authoring.approval import edition_hash, require_approval
from linked.compose.composer import ComposedEmail
from linked.db.writes import write
from linked.delivery import controls, store
from linked.delivery.models import SendStatus
from linked.delivery.plan import get_send
from linked.delivery.service import check_unchanged, deliver, open_database, prepare_edition
from linked.errors import LinkedError
from linked.scheduler import events
from linked.scheduler.models import EventKind
from linked.settings import Settings, load_settings

log = logging.getLogger("linked.scheduler")
JOB_PREFIX = "send:"
JOBS_TABLE = "apscheduler_jobs"
#: APScheduler's job table (migration 0005 creates it), for writing a job in a transaction.
_JOBS = sa.table(
    JOBS_TABLE,
    sa.column("id", sa.Unicode(191)),
    sa.column("next_run_time", sa.Float(25)),
    sa.column("job_state", sa.LargeBinary),
)


def job_id(slug: str) -> str:
    """The scheduler's id for an edition's send."""
    return f"{JOB_PREFIX}{slug}"


def grace_seconds(settings: Settings) -> int:
    """``schedule_grace_hours`` as APScheduler's ``misfire_grace_time`` (a positive int)."""
    return max(1, round(settings.schedule_grace_hours * 3600))


def put_job(conn: Connection, settings: Settings, slug: str, at: datetime) -> None:
    """Schedule (or reschedule) the send of ``slug`` at ``at`` (aware), in the caller's transaction.

    The row is the one :class:`SQLAlchemyJobStore` writes (its ``add_job``), written here
    so the job, its ``scheduled`` event and its audit event commit together; a running
    scheduler reads it on its next look at the store (:meth:`Scheduler.wakeup`).
    """
    job = Job(
        BackgroundScheduler(timezone=settings.zone),  # never started: it only names the zone
        id=job_id(slug),
        func=fire,
        trigger=DateTrigger(run_date=at, timezone=settings.zone),
        executor="default",
        args=(str(Path(settings.root).resolve()), slug),
        kwargs={},
        name=f"send {slug}",
        misfire_grace_time=grace_seconds(settings),
        coalesce=True,
        max_instances=1,
        next_run_time=at,
    )
    row = {
        "next_run_time": datetime_to_utc_timestamp(at),
        "job_state": pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL),
    }
    updated = conn.execute(_JOBS.update().where(_JOBS.c.id == job.id).values(**row))
    if not updated.rowcount:
        conn.execute(_JOBS.insert().values(id=job.id, **row))


def delete_job(conn: Connection, slug: str) -> bool:
    """Remove the job of ``slug`` in the caller's transaction; False when there was none."""
    return bool(conn.execute(_JOBS.delete().where(_JOBS.c.id == job_id(slug))).rowcount)


@dataclass(frozen=True)
class _Runtime:
    settings: Settings
    deliver_in_job: bool
    owner: int = 0


# The settings of the scheduler running in this process, by resolved project root. A job
# carries only the root; the process that runs it knows the settings it was started with
# (the CLI's overrides, a test's database), falling back to linked.toml and LINKED_*.
_RUNTIMES: dict[str, _Runtime] = {}
_LOCK = threading.Lock()


def _key(root: Path | str) -> str:
    return str(Path(root).resolve())


def fire(root: str, slug: str) -> None:
    """The scheduled job: check the edition as it is now, then start and (maybe) deliver it.

    A failing check records a ``blocked`` event and sends nothing. An edition whose
    send already exists is not planned again, so a schedule never causes a second send.
    """
    with _LOCK:
        runtime = _RUNTIMES.get(_key(root))
    if runtime is None:
        runtime = _Runtime(load_settings(root), deliver_in_job=True)
    run_scheduled_send(runtime.settings, slug, deliver_now=runtime.deliver_in_job)


def run_scheduled_send(settings: Settings, slug: str, *, deliver_now: bool = True) -> EventKind:
    """Check, start and (when ``deliver_now``) deliver ``slug``; return the event kind recorded.

    The start is one transaction (:func:`start_scheduled`); with ``deliver_now=False``
    the send is left ``running`` for a delivery worker (``linked serve``'s) to carry out.
    """
    db = open_database(settings)
    try:
        folder = settings.editions_dir / slug
        run_at = events.scheduled_for(db, slug)
        try:
            digest = edition_hash(folder)
            composed, prepared = prepare_edition(settings, folder)
            check_unchanged(folder, digest)
            with Session(db) as session:
                require_approval(session, settings, slug, digest)
            kind, detail = write(
                db, lambda s: start_scheduled(s, settings, slug, composed, digest, run_at)
            )
        except LinkedError as exc:  # refused before anything was written
            events.record(db, slug, EventKind.blocked, str(exc), run_at)
            return EventKind.blocked
        events.log_event(slug, kind, detail, run_at)  # committed: the line is true
        if kind == EventKind.sent or not deliver_now:
            return kind
        status = asyncio.run(deliver(settings, db, slug, prepared))
        kind = EventKind.sent if status == SendStatus.done else EventKind.started
        events.record(db, slug, kind, f"delivery {status}", run_at)
        return kind
    finally:
        db.dispose()


def start_scheduled(
    session: Session,
    settings: Settings,
    slug: str,
    composed: ComposedEmail,
    digest: str,
    run_at: datetime | None,
) -> tuple[EventKind, str]:
    """Start the scheduled send of a checked edition in the caller's transaction.

    A new send starts as "Send now" does (:func:`controls.queue_send`, as the
    scheduler): its rows, ``running``, ``send.start`` and the ``started`` event commit
    together, so a failure leaves nothing and the job can fire again. An existing send
    is never planned again: done, it is reported ``sent``; otherwise it is marked
    ``running`` again (``started``). Returns the event written (not yet logged).
    """
    existing = get_send(session, slug)
    if existing is None:
        result = controls.queue_send(
            session, settings, slug, composed, digest=digest, confirm=None, actor=Actor.scheduler()
        )
        kind, detail = EventKind.started, f"planned {result.added} recipient(s)"
    else:
        detail = f"already sent or sending ({existing.status}); not planned again"
        kind = EventKind.sent if existing.status == SendStatus.done else EventKind.started
        if kind == EventKind.started:
            store.set_send_status(session.connection(), slug, SendStatus.running)
    events.add(session.connection(), slug, kind, detail, run_at)
    return kind, detail


class Scheduler:
    """A :class:`BackgroundScheduler` on the project's database, recording missed and failed jobs.

    ``deliver_in_job`` False (``linked serve``) leaves delivery to the process's worker,
    so shutting down has one place that lets messages in flight finish.
    """

    def __init__(
        self, settings: Settings, *, db: Engine | None = None, deliver_in_job: bool = True
    ) -> None:
        self.settings = settings
        self.deliver_in_job = deliver_in_job
        self._own_db = db is None
        self.db = db or open_database(settings)
        self.jobstore = SQLAlchemyJobStore(engine=self.db, tablename=JOBS_TABLE)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": self.jobstore},
            executors={"default": {"type": "threadpool", "max_workers": 4}},
            job_defaults={"misfire_grace_time": grace_seconds(settings), "coalesce": True},
            timezone=settings.zone,
        )
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)

    def open_store(self) -> None:
        """Open the job store (creating its table) without starting a scheduler thread.

        ``linked schedule`` edits jobs this way: a started scheduler, even paused or
        shutting down, may run a due job, and the CLI must never send.
        """
        self.jobstore.start(self.scheduler, "default")

    def start(self) -> None:
        """Start the scheduler thread: due jobs run in this process from now on."""
        with _LOCK:
            _RUNTIMES[_key(self.settings.root)] = _Runtime(
                self.settings, self.deliver_in_job, id(self)
            )
        self.scheduler.start()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the scheduler (waiting for running jobs unless ``wait`` is False)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        with _LOCK:
            current = _RUNTIMES.get(_key(self.settings.root))
            if current is not None and current.owner == id(self):
                del _RUNTIMES[_key(self.settings.root)]
        if self._own_db:
            self.db.dispose()

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def wakeup(self) -> None:
        """Look at the job store again now: jobs added by another process (the CLI) are seen."""
        if self.scheduler.running:
            self.scheduler.wakeup()

    def pending(self) -> dict[str, datetime]:
        """Jobs still to run: slug → when (aware)."""
        found: dict[str, datetime] = {}
        for job in self.jobstore.get_all_jobs():
            if str(job.id).startswith(JOB_PREFIX) and job.next_run_time is not None:
                found[str(job.id)[len(JOB_PREFIX) :]] = job.next_run_time
        return found

    def _on_event(self, event: Any) -> None:
        slug = str(event.job_id).removeprefix(JOB_PREFIX)
        run_at = event.scheduled_run_time
        try:
            if event.code == EVENT_JOB_MISSED:
                hours = self.settings.schedule_grace_hours
                events.record(
                    self.db,
                    slug,
                    EventKind.missed,
                    f"missed: the service was not running within {hours:g} hour(s) of the "
                    f"time; not sent. Send it with linked send {slug}, or schedule it again",
                    run_at,
                )
            else:
                events.record(
                    self.db, slug, EventKind.failed, f"job failed: {event.exception!r}", run_at
                )
        except Exception:  # a listener must never kill the scheduler thread
            log.exception("event=schedule.record_failed edition=%s", slug)
