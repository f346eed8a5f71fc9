"""Start, pause, resume and retry a send over the caller's session, with their audit events.

Each function changes the send (its rows, its status) and writes the audit event
that records the change in the caller's transaction; the caller commits, so the
change and its record are never apart. The console calls them as the signed-in
account inside its request's transaction; ``linked send``/``pause``/``resume``/``retry``
call them as the CLI through the facades of :mod:`linked.delivery.service`.
Nothing here sends mail: the delivery workers (or the CLI's own engine) do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlmodel import Session

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.authoring.approval import people, require_approval, target
from linked.compose.composer import ComposedEmail
from linked.delivery import store
from linked.delivery.models import SendStatus
from linked.delivery.plan import recipients_left, write_plan
from linked.errors import LinkedError
from linked.settings import Settings


@dataclass
class SendResult:
    """How a send ended: ``done``, ``paused`` or ``cancelled``, and the rows per state."""

    edition: str
    status: SendStatus | Literal["cancelled"]
    counts: Counter[str] = field(default_factory=Counter)
    added: int = 0
    #: How many messages the send would try (what ``confirm`` was asked about).
    recipients: int = 0


def begin_send(
    session: Session,
    settings: Settings,
    edition: str,
    composed: ComposedEmail,
    *,
    digest: str,
    confirm: Callable[[int], bool] | None,
    actor: Actor,
) -> SendResult:
    """Plan the send of a checked edition (its rows and ``send.start``), without sending.

    ``digest`` is the hash of the files ``composed`` was made from: with
    ``send_requires_approval`` it must be the approved one
    (:class:`~linked.authoring.approval.NotApproved` otherwise). ``confirm(recipients)``
    (None = do not ask) must return True, else the result is ``cancelled`` and
    nothing is written. The audit event names the actor, the approver and the last
    editor. The result's status is ``planned``.
    """
    require_approval(session, settings, edition, digest)
    recipients = recipients_left(session, edition)
    if confirm is not None and not confirm(recipients):
        return SendResult(edition, "cancelled", recipients=recipients)
    detail = f"{recipients} recipient(s); {people(session, edition)}"
    audit.record(session, actor, "send.start", target(edition), detail)
    _send, added = write_plan(session, edition, composed, edition_hash=digest)
    return SendResult(edition, SendStatus.planned, added=added, recipients=recipients)


def queue_send(
    session: Session,
    settings: Settings,
    edition: str,
    composed: ComposedEmail,
    *,
    digest: str,
    confirm: Callable[[int], bool] | None,
    actor: Actor,
) -> SendResult:
    """Plan the send and mark it ``running`` for the delivery workers to send.

    The console's "Send now" and ``linked send --detach``. The rows, the status and
    the ``send.start`` event are one transaction (the caller's): a send is never
    left planned without its event, nor running without its rows. Refuses
    (LinkedError) when there is nobody to send to, since a running send with no rows
    would never finish. The result's ``counts`` are left for the caller to read
    once committed.
    """

    def ask(recipients: int) -> bool:
        if recipients == 0:
            raise LinkedError(
                f"there is nobody to send {edition} to: every confirmed subscriber "
                "already has it, or there are none"
            )
        return confirm is None or confirm(recipients)

    result = begin_send(
        session, settings, edition, composed, digest=digest, confirm=ask, actor=actor
    )
    if result.status == "cancelled":
        return result
    store.set_send_status(session.connection(), edition, SendStatus.running)
    result.status = SendStatus.running
    return result


def pause_send(session: Session, slug: str, actor: Actor) -> None:
    """Set the pause flag (``send.pause``): running workers stop between messages."""
    _flag(session, slug, actor, SendStatus.paused, "has no send in progress to pause")


def resume_send(session: Session, slug: str, actor: Actor) -> None:
    """Clear the pause flag (``send.resume``) so the send carries on."""
    _flag(session, slug, actor, SendStatus.running, "has no paused send to resume")


def _flag(session: Session, slug: str, actor: Actor, status: SendStatus, refusal: str) -> None:
    # Pausing and resuming differ only in the status set and the audit action's name.
    conn = session.connection()
    if store.send_status(conn, slug) in (None, SendStatus.done):
        raise LinkedError(f"edition {slug!r} {refusal}")
    store.set_send_status(conn, slug, status)
    action = "send.pause" if status == SendStatus.paused else "send.resume"
    audit.record(session, actor, action, target(slug))


def retry_send(session: Session, slug: str, actor: Actor) -> int:
    """Re-queue deferred rows and temporary failures (``send.retry``) and mark the send running.

    Returns the number of rows re-queued; permanent failures stay failed.
    """
    conn = session.connection()
    if store.send_status(conn, slug) is None:
        raise LinkedError(f"edition {slug!r} has not been sent")
    requeued = store.requeue_temporary(conn, slug)
    store.set_send_status(conn, slug, SendStatus.running)
    audit.record(session, actor, "send.retry", target(slug), f"{requeued} row(s) re-queued")
    return requeued
