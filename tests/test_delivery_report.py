"""Read-only numbers about a send: rows per state, lease holders, errors, rate, status."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from linked.delivery import store
from linked.delivery.models import Delivery, utcnow
from linked.delivery.outcomes import Outcome, OutcomeKind, record
from linked.delivery.owners import this_host
from linked.delivery.report import counts, errors_by_reply, holders, sent_rate, status_report
from linked.errors import LinkedError
from tests.fixtures.sending import DEAD_PID, EDITION, planned

T = Delivery.__table__  # type: ignore[attr-defined]


def test_holders_lists_who_has_rows_in_flight(engine: Engine) -> None:
    planned(engine, 6)
    assert holders(engine, EDITION) == []
    store.claim(engine, EDITION, "b-host/1:7:beef", 2, 60)
    store.claim(engine, EDITION, "a-host/1:9:cafe", 3, 60)
    held = holders(engine, EDITION)
    assert [(h.owner, h.rows) for h in held] == [
        ("a-host/1:9:cafe", 3),
        ("b-host/1:7:beef", 2),
    ]
    assert all(h.lease_until is not None for h in held)
    assert all(h.alive for h in held)  # other hosts: alive while their lease is current


def test_holders_tell_a_live_process_from_a_dead_one(engine: Engine) -> None:
    planned(engine, 6)
    here = this_host()
    store.claim(engine, EDITION, f"{here}:{os.getpid()}:aaaa", 1, 60)
    store.claim(engine, EDITION, f"{here}:{DEAD_PID}:bbbb", 2, 60)
    store.claim(engine, EDITION, "far-host/1:7:cccc", 3, 60)
    with engine.begin() as conn:  # the far host stopped renewing its lease
        conn.execute(
            T.update()
            .where(T.c.lease_owner == "far-host/1:7:cccc")
            .values(lease_until=utcnow() - timedelta(seconds=5))
        )
    alive = {h.owner.rsplit(":", 1)[1]: h.alive for h in holders(engine, EDITION)}
    assert alive == {"aaaa": True, "bbbb": False, "cccc": False}
    dead = next(h for h in holders(engine, EDITION) if h.owner.endswith("bbbb"))
    assert dead.lease_until is not None and dead.lease_until > utcnow()


def test_errors_are_grouped_by_reply_and_counts_follow_the_rows(engine: Engine) -> None:
    planned(engine, 5)
    a, b, c, d = store.claim(engine, EDITION, "me", 4, 60)
    record(
        engine,
        [
            (a, Outcome(OutcomeKind.sent, "250 ok")),
            (b, Outcome(OutcomeKind.temporary, "451 4.3.0 later", 451)),
            (c, Outcome(OutcomeKind.permanent, "550 5.1.1 unknown", 550)),
            (d, Outcome(OutcomeKind.permanent, "550 5.1.1 unknown", 550)),
        ],
        max_attempts=3,
        retry_base_seconds=60,
    )
    assert counts(engine, EDITION) == {"sent": 1, "deferred": 1, "failed": 2, "queued": 1}
    assert errors_by_reply(engine, EDITION) == [
        ("failed", "550 5.1.1 unknown", 2),
        ("deferred", "451 4.3.0 later", 1),
    ]
    assert sent_rate(engine, EDITION) is None  # one sent: no rate yet


def test_status_report_needs_a_send_and_reads_its_flag(engine: Engine) -> None:
    with pytest.raises(LinkedError, match="has not been sent"):
        status_report(engine, EDITION)
    planned(engine, 3)
    store.set_pacing(engine, EDITION, "1 of 4 connections: testing")
    report = status_report(engine, EDITION)
    assert (report.status, report.total, report.counts["queued"]) == ("planned", 3, 3)
    assert report.pacing == "1 of 4 connections: testing" and report.holders == []
