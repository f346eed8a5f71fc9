"""Read-only numbers about a send, for people: ``linked status`` and the console's send page.

Rows per state, who holds leases now and whether they live, the commonest error
replies, the rate so far, and recipients lost to bounces and complaints since.
Nothing here writes: the engine's row changes are :mod:`linked.delivery.store`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from linked.delivery.models import Delivery, DeliveryState, Send, SendStatus, utcnow
from linked.delivery.owners import owner_gone
from linked.errors import LinkedError
from linked.subscribers.models import Subscriber, SubscriberStatus

D = DeliveryState
T = Delivery.__table__  # type: ignore[attr-defined]
SUB = Subscriber.__table__  # type: ignore[attr-defined]
S = Send.__table__  # type: ignore[attr-defined]


def counts(engine: Engine, edition: str) -> Counter[str]:
    """How many rows of the send are in each state."""
    with engine.connect() as conn:
        return Counter(
            {
                str(state): int(n)
                for state, n in conn.execute(
                    sa.select(T.c.state, sa.func.count())
                    .where(T.c.edition == edition)
                    .group_by(T.c.state)
                )
            }
        )


def lost_recipients(engine: Engine, edition: str) -> Counter[str]:
    """How many of the send's recipients are now ``bounced`` or ``complained``."""
    lost = (SubscriberStatus.bounced.value, SubscriberStatus.complained.value)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(SUB.c.status, sa.func.count())
            .select_from(T.join(SUB, SUB.c.id == T.c.subscriber_id))
            .where(T.c.edition == edition, SUB.c.status.in_(lost))
            .group_by(SUB.c.status)
        )
        return Counter({str(status): int(n) for status, n in found})


@dataclass(frozen=True)
class Holder:
    """Rows of a send in ``sending`` under one lease owner (``host/pidns:pid:rand``).

    ``alive`` is True only while a live process holds them: on this host its process
    still runs; elsewhere its lease is current (renewed while the owner lives). Rows
    of a dead owner wait for ``lease_until``, when any worker may claim them again.
    """

    owner: str
    rows: int
    lease_until: datetime | None
    alive: bool


def holders(engine: Engine, edition: str) -> list[Holder]:
    """Who holds rows of the send right now, most rows first, and whether they live."""
    now = utcnow()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.c.lease_owner, sa.func.count().label("n"), sa.func.max(T.c.lease_until))
            .where(T.c.edition == edition, T.c.state == D.sending)
            .group_by(T.c.lease_owner)
            .order_by(sa.desc("n"))
        ).all()
    found = []
    for owner, n, until in rows:
        if until is not None and until.tzinfo is None:  # SQLite keeps no zone: it is UTC
            until = until.replace(tzinfo=UTC)
        alive = bool(owner) and until is not None and until >= now and not owner_gone(owner)
        found.append(Holder(str(owner or "(none)"), int(n), until, alive))
    return found


def errors_by_reply(engine: Engine, edition: str, limit: int = 10) -> list[tuple[str, str, int]]:
    """The commonest failure and deferral replies: ``(state, reply, count)``, most first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.c.state, T.c.last_reply, sa.func.count().label("n"))
            .where(T.c.edition == edition, T.c.state.in_([D.failed, D.deferred]))
            .group_by(T.c.state, T.c.last_reply)
            .order_by(sa.desc("n"))
            .limit(limit)
        ).all()
    return [(str(s), str(r or "(no reply)"), int(n)) for s, r, n in rows]


def sent_rate(engine: Engine, edition: str) -> float | None:
    """Messages per second between the first and the last ``sent_at``; None before two."""
    with engine.connect() as conn:
        first, last, n = conn.execute(
            sa.select(sa.func.min(T.c.sent_at), sa.func.max(T.c.sent_at), sa.func.count()).where(
                T.c.edition == edition, T.c.state == D.sent
            )
        ).one()
    if n < 2 or first is None or last is None:
        return None
    seconds = (last - first).total_seconds()
    return n / seconds if seconds > 0 else None


@dataclass
class StatusReport:
    """``linked status``: the send's flag, rows per state, rate and the commonest errors."""

    edition: str
    status: SendStatus
    subject: str
    counts: Counter[str]
    rate: float | None
    errors: list[tuple[str, str, int]]
    #: Who holds rows in ``sending`` now, and whether that process lives.
    holders: list[Holder] = field(default_factory=list)
    #: Recipients now ``bounced`` or ``complained`` (bounces and complaints after the send).
    lost: Counter[str] = field(default_factory=Counter)
    #: The connections and rate the send last ran at, and why ("" = nothing limited them).
    pacing: str = ""

    @property
    def sending_now(self) -> list[Holder]:
        """Rows a live process holds: these are being sent now."""
        return [h for h in self.holders if h.alive]

    @property
    def waiting_for_lease(self) -> list[Holder]:
        """Rows a dead process held: sent again once their lease ends (``lease_until``)."""
        return [h for h in self.holders if not h.alive]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def status_report(db: Engine, slug: str) -> StatusReport:
    """Everything ``linked status`` shows about a send (the console's send page polls this).

    Raises LinkedError when the edition has no send.
    """
    with db.connect() as conn:
        send = conn.execute(
            sa.select(S.c.status, S.c.subject, S.c.pacing).where(S.c.edition == slug)
        ).first()
    if send is None:
        raise LinkedError(f"edition {slug!r} has not been sent: run linked send {slug}")
    return StatusReport(
        slug,
        SendStatus(send.status),
        str(send.subject or ""),
        counts(db, slug),
        sent_rate(db, slug),
        errors_by_reply(db, slug),
        holders(db, slug),
        lost_recipients(db, slug),
        send.pacing or "",
    )
