"""A named lease in the database, so one bounce fetcher runs at a time across workers.

Works on SQLite and PostgreSQL alike: a conditional UPDATE takes a free or expired
lease (or one whose owner died on this host), an INSERT makes it the first time (the
primary key settles a race). Expiry
times use this machine's clock, so clocks across machines should be in step to well
under the lease length.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from linked.delivery.owners import owner_gone
from linked.subscribers.models import Lease, utcnow

_TABLE: sa.Table = Lease.__table__  # type: ignore[attr-defined]


def acquire(engine: Engine, name: str, owner: str, seconds: float) -> bool:
    """Take (or renew) the lease for ``seconds``; False when another owner holds it.

    A lease whose owner was a process on this host that has died (SIGKILL, power cut)
    is taken over at once (``owner`` names as :func:`linked.delivery.owners.new_owner`);
    one held elsewhere waits for its expiry.
    """
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    table = _TABLE
    with engine.begin() as conn:
        taken = conn.execute(
            table.update()
            .where(
                table.c.name == name,
                sa.or_(table.c.owner.is_(None), table.c.until < now, table.c.owner == owner),
            )
            .values(owner=owner, until=until)
        )
        if taken.rowcount:
            return True
        holder = conn.execute(
            sa.select(table.c.owner).where(table.c.name == name)
        ).scalar_one_or_none()
        if holder is not None and owner_gone(holder):
            taken = conn.execute(
                table.update()
                .where(table.c.name == name, table.c.owner == holder)
                .values(owner=owner, until=until)
            )
            return bool(taken.rowcount)
        if holder is not None:
            return False
    try:
        with engine.begin() as conn:
            conn.execute(table.insert().values(name=name, owner=owner, until=until))
    except IntegrityError:
        return False  # it exists and someone else holds it
    return True


def release(engine: Engine, name: str, owner: str) -> None:
    """Give the lease up (only if this owner still holds it)."""
    table = _TABLE
    with engine.begin() as conn:
        conn.execute(
            table.update()
            .where(table.c.name == name, table.c.owner == owner)
            .values(owner=None, until=None)
        )
