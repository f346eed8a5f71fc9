"""An edition's state for the console's list: draft, has errors, ready, approved, scheduled,
sending, sent, missed or blocked — from the check, the approvals and the scheduler's and
delivery's tables.

:func:`state_of` is the one place the states are decided (a small pure function over
:class:`Facts`); :func:`edition_states` gathers the facts for many editions at once.
The tables are read through lightweight ``sa.table`` views because this package sits
below ``linked.delivery`` and ``linked.scheduler``; for the same reason the values of
their enums (``SendStatus``, ``DeliveryState``, ``EventKind``) are spelled out here.
``tests/test_authoring_status.py`` writes rows with the real models and enums and runs
every ``SendStatus`` through :func:`state_of`, so a renamed column or value fails there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from linked.authoring import approval
from linked.check import check_edition
from linked.compose import Composer
from linked.settings import Settings

_SEND = sa.table("send", sa.column("edition"), sa.column("status"), sa.column("total"))
_DELIVERY = sa.table("delivery", sa.column("edition"), sa.column("state"))
_EVENTS = sa.table(
    "schedule_event",
    sa.column("id"),
    sa.column("edition"),
    sa.column("kind"),
    sa.column("run_at", sa.DateTime(timezone=True)),
    sa.column("detail"),
)
PLACEHOLDER_MESSAGE = "example text from 'linked new'"


class State(StrEnum):
    draft = "draft"
    errors = "has errors"
    ready = "ready"
    approved = "approved"
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    missed = "missed"
    blocked = "blocked"


@dataclass(frozen=True)
class EditionState:
    """What the list shows: the state and a line of detail (a local time, counts)."""

    state: State
    detail: str = ""


@dataclass(frozen=True)
class Facts:
    """What an edition's state is decided from."""

    errors: int | None = None  # check errors (None: not checked)
    placeholders: bool = False  # the scaffold's example text is still there
    send_status: str | None = None  # a SendStatus value: planned, running, paused, done
    counts: dict[str, int] = field(default_factory=dict)  # delivery rows per DeliveryState
    total: int = 0
    schedule: str | None = None  # the newest schedule event's kind (an EventKind value)
    run_at: datetime | None = None
    schedule_detail: str = ""
    approved: bool = False  # a sender approved the files as they are now
    approval_voided: bool = False  # ...approved them, and they changed since


def local_time(when: datetime, zone: ZoneInfo) -> str:
    """``Fri 28 May 2021, 09:00 BST``: the zone always shown."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%a %-d %b %Y, %H:%M %Z")


def state_of(facts: Facts, zone: ZoneInfo) -> EditionState:
    """The one rule: a send beats a schedule, a schedule beats the check."""
    sent = facts.counts.get("sent", 0)
    if facts.send_status == "done":
        failed = facts.counts.get("failed", 0)
        return EditionState(State.sent, f"{sent} sent" + (f", {failed} failed" if failed else ""))
    if facts.send_status in ("planned", "running", "paused"):
        paused = "paused: " if facts.send_status == "paused" else ""
        return EditionState(State.sending, f"{paused}{sent} of {facts.total} sent")
    if facts.schedule == "scheduled" and facts.run_at is not None:
        return EditionState(State.scheduled, local_time(facts.run_at, zone))
    if facts.schedule in ("missed", "blocked"):
        return EditionState(State(facts.schedule), facts.schedule_detail)
    if facts.placeholders:
        return EditionState(State.draft, "example text still to replace")
    if facts.errors:
        return EditionState(State.errors, f"{facts.errors} error(s)")
    if facts.approved:
        return EditionState(State.approved)
    if facts.approval_voided:
        return EditionState(State.ready, "changed since it was approved")
    return EditionState(State.ready)


def edition_states(
    settings: Settings,
    session: Session,
    folders: Iterable[Path],
    composer: Composer | None = None,
) -> dict[str, EditionState]:
    """The state of each edition folder, by slug (the check runs only where it decides)."""
    folders = list(folders)
    slugs = [f.name for f in folders]
    facts = {slug: _facts(session, slug) for slug in slugs} if slugs else {}
    states = {}
    for folder in folders:
        found = facts[folder.name]
        if found.send_status is None and found.schedule not in ("scheduled", "missed", "blocked"):
            report = check_edition(settings, folder, composer)
            placeholders = any(PLACEHOLDER_MESSAGE in p.message for p in report.errors)
            approved = approval.state(session, settings, folder.name)
            found = Facts(
                len(report.errors),
                placeholders,
                approved=approved.valid,
                approval_voided=approved.voided,
            )
        states[folder.name] = state_of(found, settings.zone)
    return states


def _facts(session: Session, slug: str) -> Facts:
    send = session.execute(
        sa.select(_SEND.c.status, _SEND.c.total).where(_SEND.c.edition == slug)
    ).first()
    event = session.execute(
        sa.select(_EVENTS.c.kind, _EVENTS.c.run_at, _EVENTS.c.detail)
        .where(_EVENTS.c.edition == slug)
        .order_by(_EVENTS.c.id.desc())
        .limit(1)
    ).first()
    counts: dict[str, int] = {}
    if send is not None:
        rows = session.execute(
            sa.select(_DELIVERY.c.state, sa.func.count())
            .where(_DELIVERY.c.edition == slug)
            .group_by(_DELIVERY.c.state)
        ).all()
        counts = {str(state): int(n) for state, n in rows}
    return Facts(
        send_status=send[0] if send else None,
        counts=counts,
        total=int(send[1]) if send else 0,
        schedule=event[0] if event else None,
        run_at=event[1] if event else None,
        schedule_detail=(event[2] or "") if event else "",
    )
