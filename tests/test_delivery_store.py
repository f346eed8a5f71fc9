"""Row state changes: claiming, leases and the crash rule, re-queueing, the send flag."""

from __future__ import annotations

import socket
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from linked.delivery import store
from linked.delivery.models import Delivery, utcnow
from linked.delivery.owners import this_host
from tests.fixtures.sending import DEAD_PID, EDITION, add_subscribers, plan_send, planned, rows

T = Delivery.__table__  # type: ignore[attr-defined]


def test_claim_marks_rows_sending_under_a_lease(engine: Engine) -> None:
    planned(engine)
    jobs = store.claim(engine, EDITION, "me", 4, 60)
    assert len(jobs) == 4
    claimed = [r for r in rows(engine).values() if r.state == "sending"]
    assert {r.id for r in claimed} == {j.id for j in jobs}
    assert {r.lease_owner for r in claimed} == {"me"}
    # Another worker gets the others, never the same rows.
    others = store.claim(engine, EDITION, "you", 100, 60)
    assert len(others) == 6 and not {j.id for j in jobs} & {j.id for j in others}
    assert store.claim(engine, EDITION, "third", 100, 60) == []


def test_crash_rule_a_dead_local_owners_rows_are_requeued_at_once(engine: Engine) -> None:
    planned(engine)
    dead = f"{this_host()}:{DEAD_PID}:abcd"
    store.claim(engine, EDITION, dead, 3, 3600)
    alive_elsewhere = "another-host:1:abcd"
    store.claim(engine, EDITION, alive_elsewhere, 2, 3600)
    # Same host name, another PID namespace (a container): its pid says nothing here.
    same_name_other_namespace = f"{socket.gethostname()[:60]}/1:{DEAD_PID}:abcd"
    store.claim(engine, EDITION, same_name_other_namespace, 1, 3600)
    assert store.recover(engine, EDITION) == 3
    states = [r.state for r in rows(engine).values()]
    assert states.count("sending") == 3  # the other hosts' leases are still valid
    assert len(store.claim(engine, EDITION, "me", 100, 60)) == 7


def test_crash_rule_an_expired_lease_is_claimable_by_anyone(engine: Engine) -> None:
    planned(engine, 4)
    store.claim(engine, EDITION, "another-host:1:abcd", 4, 3600)
    assert store.claim(engine, EDITION, "me", 100, 60) == []
    with engine.begin() as conn:
        conn.execute(T.update().values(lease_until=utcnow() - timedelta(seconds=1)))
    assert len(store.claim(engine, EDITION, "me", 100, 60)) == 4


def test_release_gives_back_unsent_rows(engine: Engine) -> None:
    planned(engine, 3)
    jobs = store.claim(engine, EDITION, "me", 3, 60)
    store.release(engine, "me", [j.id for j in jobs])
    assert {r.state for r in rows(engine).values()} == {"queued"}


def test_claim_takes_the_rows_the_single_query_names_in_its_order(engine: Engine) -> None:
    # On SQLite the claim is a union of one indexed query per kind of claimable row;
    # with every kind present it must pick exactly what the one OR query picks.
    planned(engine, 40)
    now = utcnow()
    ids = sorted(row.id for row in rows(engine).values() if row.id is not None)
    kinds = {
        "deferred_due": ids[3:30:5],
        "deferred_later": ids[4:30:5],
        "queued_with_a_date": ids[5:30:7],
        "expired_lease": ids[6:30:6],
        "live_lease": ids[7:30:9],
        "sent": ids[0:3],
    }
    with engine.begin() as conn:
        for kind, chosen in kinds.items():
            values = {
                "deferred_due": {"state": "deferred", "next_attempt_at": now - timedelta(1)},
                "deferred_later": {"state": "deferred", "next_attempt_at": now + timedelta(1)},
                "queued_with_a_date": {"state": "queued", "next_attempt_at": now + timedelta(1)},
                "expired_lease": {"state": "sending", "lease_until": now - timedelta(1)},
                "live_lease": {"state": "sending", "lease_until": now + timedelta(1)},
                "sent": {"state": "sent"},
            }[kind]
            conn.execute(T.update().where(T.c.id.in_(chosen)).values(**values))
    later = utcnow() + timedelta(hours=1)
    due = sorted(
        row.id
        for row in rows(engine).values()
        if row.id is not None
        and (
            row.state == "queued"
            or (row.state == "deferred" and (row.next_attempt_at or later) <= now)
            or (row.state == "sending" and (row.lease_until or later) < now)
        )
    )
    assert 10 < len(due) < 40
    for limit in (1, 5, 12, 100):
        with engine.connect() as conn:
            # The single query, as PostgreSQL runs it (SQLite ignores FOR UPDATE).
            single = list(conn.scalars(store._due(EDITION, utcnow(), limit, "postgresql")))
            union = list(conn.scalars(store._due(EDITION, utcnow(), limit, "sqlite")))
        assert union == single and len(single) == min(limit, len(due))
    assert [job.id for job in store.claim(engine, EDITION, "me", 100, 60)] == due


def test_sends_to_resume_are_running_sends_with_rows_left_oldest_first(engine: Engine) -> None:
    add_subscribers(engine, 3)
    editions = ["2021-01", "2021-02", "2021-03", "2021-04"]
    with Session(engine) as session:
        for edition in editions:
            plan_send(session, edition)
    assert store.sends_to_resume(engine) == []  # planned, not yet running
    for edition in editions:
        store.set_send_status(engine, edition, "running")
    store.set_send_status(engine, "2021-02", "paused")
    with engine.begin() as conn:  # every row of 2021-03 is settled, one of 2021-04 is deferred
        conn.execute(T.update().where(T.c.edition == "2021-03").values(state="sent"))
        conn.execute(T.update().where(T.c.edition == "2021-04").values(state="failed"))
        first = sa.select(sa.func.min(T.c.id)).where(T.c.edition == "2021-04").scalar_subquery()
        conn.execute(T.update().where(T.c.id == first).values(state="deferred"))
    assert store.sends_to_resume(engine) == ["2021-01", "2021-04"]
