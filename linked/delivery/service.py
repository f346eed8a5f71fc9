"""What the ``linked send``/``status``/``retry``/``pause``/``resume`` commands call.

Each function opens the database (migrating it first), does one job and returns
a plain result for the caller to show. Sending functions compose the edition once,
then run :class:`~linked.delivery.engine.DeliveryRun` (built by :mod:`linked.delivery.run`)
to completion (or until paused).
Starting, pausing, resuming and retrying a send over a session, each with its audit
event, are :mod:`linked.delivery.controls`; the facades here open the database, run
one of them in a transaction of their own and commit. The console calls them in its
request's transaction instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts.audit import Actor
from linked.authoring.approval import edition_hash
from linked.check import check_edition
from linked.compose.composer import ComposedEmail
from linked.db.engine import make_engine
from linked.db.migrate import upgrade
from linked.db.writes import write
from linked.delivery import controls, report, store
from linked.delivery.controls import SendResult
from linked.delivery.engine import EngineOptions
from linked.delivery.models import DeliveryState, SendStatus
from linked.delivery.plan import get_send, load_content
from linked.delivery.progress import Progress
from linked.delivery.run import make_run
from linked.errors import LinkedError
from linked.message import PreparedMessage, Recipient, prepare_message
from linked.settings import Settings
from linked.transport import Transport, TransportError, open_transport

PROOF_PREFIX = "[Proof] "


def slug_of(edition: str | Path) -> str:
    """An edition's slug from its slug or folder."""
    return Path(edition).name


def open_database(settings: Settings) -> Engine:
    """The settings' database, migrated to the newest revision."""
    engine = make_engine(settings)
    upgrade(settings, engine)
    return engine


def prepare_edition(
    settings: Settings, folder: Path, *, subject_prefix: str = "", list_headers: bool = True
) -> tuple[ComposedEmail, PreparedMessage]:
    """Check and compose an edition once; refuse (LinkedError) when the check finds errors."""
    if not folder.is_dir():
        raise LinkedError(f"no edition folder {folder}")
    checked = check_edition(settings, folder)
    if not checked.ok or checked.composed is None or checked.edition is None:
        lines = "\n  ".join(p.format() for p in checked.errors)
        raise LinkedError(
            f"`linked check` found {len(checked.errors)} error(s); not sending:\n  {lines}"
        )
    prepared = prepare_message(
        settings, checked.composed, list_headers=list_headers, subject_prefix=subject_prefix
    )
    return checked.composed, prepared


def prepare_planned(settings: Settings, db: Engine, edition: str) -> PreparedMessage:
    """The message of a planned send, from the composition kept with it.

    A send planned before that was kept (migration 0004) is checked and composed
    from its edition folder instead.
    """
    with Session(db) as session:
        send = get_send(session, edition)
        composed = load_content(send) if send is not None else None
    if composed is None:
        return prepare_edition(settings, settings.editions_dir / edition)[1]
    return prepare_message(settings, composed)


async def deliver(
    settings: Settings,
    db: Engine,
    edition: str,
    prepared: PreparedMessage,
    *,
    progress: Callable[[Progress], None] | None = None,
    transport: Transport | None = None,
    options: EngineOptions | None = None,
) -> SendStatus:
    """Run the send of ``edition`` until done or paused; the rows must be planned already."""
    run = make_run(
        settings, db, edition, prepared, transport=transport, progress=progress, options=options
    )
    async with run.transport:
        return await run.run()


def check_unchanged(folder: Path, digest: str) -> None:
    """Refuse when the edition's files changed while it was being checked and composed."""
    if edition_hash(folder) != digest:
        raise LinkedError(
            f"the files of {folder.name} changed while it was being checked; try again"
        )


def compose_for_send(
    settings: Settings, folder: Path
) -> tuple[str, ComposedEmail, PreparedMessage]:
    """Check and compose an edition for sending: its files' digest, the composition, the message.

    The digest is taken before the check, and :func:`check_unchanged` refuses when
    the files changed meanwhile, so the digest (what an approval names) is of the
    files that were composed.
    """
    digest = edition_hash(folder)
    composed, prepared = prepare_edition(settings, folder)
    check_unchanged(folder, digest)
    return digest, composed, prepared


def start_detached(
    settings: Settings,
    db: Engine,
    folder: Path,
    *,
    confirm: Callable[[int], bool] | None,
    actor: Actor,
) -> SendResult:
    """Plan the send and mark it ``running`` in one transaction (:func:`controls.queue_send`):
    the delivery workers send it (``linked send --detach``)."""
    edition = slug_of(folder)
    digest, composed, _prepared = compose_for_send(settings, folder)
    with Session(db) as session:
        result = controls.queue_send(
            session, settings, edition, composed, digest=digest, confirm=confirm, actor=actor
        )
        session.commit()
    if result.status != "cancelled":
        result.counts = report.counts(db, edition)
    return result


def start_send(
    settings: Settings,
    folder: Path,
    *,
    yes: bool = False,
    confirm: Callable[[int], bool] | None = None,
    progress: Callable[[Progress], None] | None = None,
    detach: bool = False,
    actor: Actor | None = None,
) -> SendResult:
    """Check, plan and send an edition to every confirmed subscriber.

    Unless ``yes``, ``confirm(recipients)`` must return True first. Starting again
    continues the send: planned rows are never planned twice, and rows recorded as
    sent are never sent again. With ``detach`` the send is planned and marked
    ``running`` for ``linked worker``/``linked serve`` processes to deliver.
    """
    if not folder.is_dir():
        raise LinkedError(f"no edition folder {folder}")
    ask = None if yes else (confirm or (lambda _n: False))
    db = open_database(settings)
    try:
        if detach:
            return start_detached(settings, db, folder, confirm=ask, actor=actor or Actor.cli())
        edition = slug_of(folder)
        digest, composed, prepared = compose_for_send(settings, folder)
        with Session(db) as session:
            result = controls.begin_send(
                session,
                settings,
                edition,
                composed,
                digest=digest,
                confirm=ask,
                actor=actor or Actor.cli(),
            )
            session.commit()
        if result.status == "cancelled":
            return result
        status = asyncio.run(deliver(settings, db, result.edition, prepared, progress=progress))
        result.status, result.counts = status, report.counts(db, result.edition)
        return result
    finally:
        db.dispose()


def send_proof(settings: Settings, folder: Path, addresses: Sequence[str]) -> list[str]:
    """Send a proof, subject marked ``[Proof]``, to the named addresses only; no rows are made.

    Returns the addresses sent to; the first refusal stops with a LinkedError.
    """
    if not addresses:
        raise LinkedError("name at least one address for a proof: --test you@example.org")
    _subject, prepared = prepare_edition(settings, folder, subject_prefix=PROOF_PREFIX)
    return asyncio.run(_send_proof(settings, prepared, addresses))


async def _send_proof(
    settings: Settings, prepared: PreparedMessage, addresses: Sequence[str]
) -> list[str]:
    sent: list[str] = []
    async with open_transport(settings) as transport:
        for address in addresses:
            # The proof shows the real footer link shape without unsubscribing anyone.
            message = prepared.render(
                Recipient(address, None, f"{settings.base_url}/unsubscribe/proof")
            )
            try:
                await transport.send(prepared.envelope_sender, [address], message)
            except TransportError as exc:
                raise LinkedError(f"proof to {address} refused: {exc.reply}") from exc
            sent.append(address)
    return sent


def send_status(settings: Settings, edition: str | Path) -> report.StatusReport:
    """Rows per state, messages per second so far, and failures grouped by reply."""
    db = open_database(settings)
    try:
        return report.status_report(db, slug_of(edition))
    finally:
        db.dispose()


def follow(
    settings: Settings,
    edition: str | Path,
    progress: Callable[[Progress], None],
    *,
    poll_seconds: float = 0.5,
) -> report.StatusReport:
    """Report a send's progress from the database until it is done or paused.

    For sends that other processes deliver (``linked send --detach``, a schedule,
    ``linked worker``): the rows are the truth, so this only reads them.
    """
    slug = slug_of(edition)
    db = open_database(settings)
    try:
        if store.send_status(db, slug) is None:
            raise LinkedError(f"edition {slug!r} has not been sent: run linked send {slug}")
        state, first_sent = Progress(), None
        while True:
            status = store.send_status(db, slug)
            counts = report.counts(db, slug)
            state.load(counts)
            first_sent = state.sent if first_sent is None else first_sent
            state.sent_now = state.sent - first_sent
            state.waiting = ""
            queued, sending = counts[DeliveryState.queued], counts[DeliveryState.sending]
            if status == SendStatus.running and queued and not sending:
                state.waiting = "waiting for a worker (linked worker or linked serve)"
            elif status not in (SendStatus.running, SendStatus.done):
                state.waiting = str(status)
            progress(state)
            if status in (SendStatus.done, SendStatus.paused):
                break
            time.sleep(poll_seconds)
    finally:
        db.dispose()
    return send_status(settings, slug)


def _continue(
    settings: Settings,
    folder: Path,
    progress: Callable[[Progress], None] | None,
    before: Callable[[Session, str], object],
) -> SendResult:
    edition = slug_of(folder)
    db = open_database(settings)
    try:
        if store.send_status(db, edition) is None:
            raise LinkedError(f"edition {edition!r} has not been sent: run linked send {edition}")
        # The message as planned (and approved), not the files as they may be now.
        prepared = prepare_planned(settings, db, edition)
        write(db, lambda session: before(session, edition))
        status = asyncio.run(deliver(settings, db, edition, prepared, progress=progress))
        return SendResult(edition, status, report.counts(db, edition))
    finally:
        db.dispose()


def retry(
    settings: Settings,
    folder: Path,
    progress: Callable[[Progress], None] | None = None,
    *,
    actor: Actor | None = None,
) -> SendResult:
    """Re-queue deferred rows and rows failed by temporary (4xx) replies, then send them.

    ``added`` in the result is the number of rows re-queued. Permanent failures stay failed.
    """
    requeued = 0

    def requeue(session: Session, edition: str) -> None:
        nonlocal requeued
        requeued = controls.retry_send(session, edition, actor or Actor.cli())

    result = _continue(settings, folder, progress, requeue)
    result.added = requeued
    return result


def resume(
    settings: Settings,
    folder: Path,
    progress: Callable[[Progress], None] | None = None,
    *,
    actor: Actor | None = None,
) -> SendResult:
    """Clear the pause flag and carry the send on to completion."""
    return _continue(
        settings, folder, progress, lambda s, e: controls.resume_send(s, e, actor or Actor.cli())
    )


def pause(settings: Settings, edition: str | Path, *, actor: Actor | None = None) -> None:
    """Set the pause flag; running workers stop between messages within a second."""
    db = open_database(settings)
    try:
        slug, who = slug_of(edition), actor or Actor.cli()
        write(db, lambda session: controls.pause_send(session, slug, who))
    finally:
        db.dispose()
