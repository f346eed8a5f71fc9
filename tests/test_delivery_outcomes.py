"""Recording how each attempt ended: the row's next state, back-off, and the driver-level UPDATE."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from linked.delivery import store
from linked.delivery.models import Delivery, utcnow
from linked.delivery.outcomes import (
    MAX_BACKOFF,
    Outcome,
    OutcomeKind,
    _record_statement,
    backoff,
    record,
)
from tests.fixtures.sending import EDITION, planned, rows

T = Delivery.__table__  # type: ignore[attr-defined]


def test_record_outcomes_and_backoff(engine: Engine) -> None:
    planned(engine, 4)
    a, b, c, d = store.claim(engine, EDITION, "me", 4, 60)
    counts = record(
        engine,
        [
            (a, Outcome(OutcomeKind.sent, "250 ok")),
            (b, Outcome(OutcomeKind.temporary, "451 4.3.0 later", 451)),
            (c, Outcome(OutcomeKind.permanent, "550 5.1.1 unknown", 550)),
            (d, Outcome(OutcomeKind.permanent, "554 5.7.1 no", 554)),
        ],
        max_attempts=3,
        retry_base_seconds=60,
    )
    assert counts == {"sent": 1, "deferred": 1, "failed": 2}
    by_id = {r.id: r for r in rows(engine).values()}
    assert by_id[a.id].sent_at is not None and by_id[a.id].lease_owner is None
    deferred = by_id[b.id]
    assert deferred.next_attempt_at is not None
    wait = deferred.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert by_id[c.id].permanent and by_id[c.id].last_code == 550
    # Not due yet: nothing to claim.
    assert store.claim(engine, EDITION, "me", 10, 60) == []
    assert backoff(60, 1) == timedelta(seconds=60)
    assert backoff(60, 3) == timedelta(seconds=240)
    assert backoff(60, 40) == MAX_BACKOFF


def test_record_writes_what_sqlalchemy_would_write(engine: Engine) -> None:
    # record() runs its UPDATE with the driver's parameters, converted once per dialect;
    # the stored values must be those of the same statement run through SQLAlchemy.
    planned(engine, 6)
    jobs = store.claim(engine, EDITION, "me", 6, 60)
    results = [
        Outcome(OutcomeKind.sent, "250 2.0.0 queued"),
        Outcome(OutcomeKind.temporary, "451 4.3.0 try later", 451),
        Outcome(OutcomeKind.permanent, "550 5.1.1 no such user", 550),
    ]
    mine, theirs = jobs[:3], jobs[3:]
    record(engine, list(zip(mine, results, strict=True)), max_attempts=5, retry_base_seconds=60)
    written = {r.id: r for r in rows(engine).values()}
    now = written[mine[0].id].updated_at
    with engine.begin() as conn:
        for job, mine_job in zip(theirs, mine, strict=True):
            row = written[mine_job.id]
            conn.execute(
                _record_statement(),
                [
                    {
                        "_id": job.id,
                        "state": row.state,
                        "attempts": row.attempts,
                        "next_attempt_at": row.next_attempt_at,
                        "last_code": row.last_code,
                        "last_reply": row.last_reply,
                        "permanent": row.permanent,
                        "sent_at": row.sent_at,
                        "_now": now,
                        "lease_owner": None,
                        "lease_until": None,
                    }
                ],
            )
    with engine.connect() as conn:
        raw = {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                sa.select(
                    T.c.id, *[c for c in T.c if c.name not in {"id", "subscriber_id", "email"}]
                )
            )
        }
    assert [raw[j.id] for j in mine] == [raw[j.id] for j in theirs]
    assert [written[j.id].state for j in mine] == ["sent", "deferred", "failed"]
