"""Start, pause, resume and retry over the caller's session: each change with its audit event."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.accounts.models import AuditEvent
from linked.delivery import controls, service, store
from linked.delivery.controls import SendResult
from linked.delivery.report import counts
from linked.errors import LinkedError
from linked.settings import Settings
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition


def _audit(engine: Engine, *, starts: bool = False) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [
            (row.actor, row.action, row.detail)
            for row in rows
            if starts or row.action != "send.start"
        ]


def _queue(settings: Settings, session: Session, confirm: bool = True) -> SendResult:
    digest, composed, _prepared = service.compose_for_send(settings, copy_edition(settings))
    return controls.queue_send(
        session,
        settings,
        EDITION,
        composed,
        digest=digest,
        confirm=lambda _n: confirm,
        actor=Actor("ada@example.org", 1),
    )


def test_queue_send_plans_marks_running_and_audits_when_the_caller_commits(
    settings: Settings, engine: Engine
) -> None:
    add_subscribers(engine, 3)
    with Session(engine) as session:
        result = _queue(settings, session)
        assert (result.status, result.added, result.recipients) == ("running", 3, 3)
        assert store.send_status(engine, EDITION) is None  # nothing seen before the commit
        session.commit()
    assert store.send_status(engine, EDITION) == "running"
    assert counts(engine, EDITION) == {"queued": 3}
    events = _audit(engine, starts=True)
    assert [(actor, action) for actor, action, _ in events] == [("ada@example.org", "send.start")]


def test_queue_send_refuses_a_send_to_nobody_and_asks_first(
    settings: Settings, engine: Engine
) -> None:
    with pytest.raises(LinkedError, match="nobody to send"), Session(engine) as session:
        _queue(settings, session)
    add_subscribers(engine, 2)
    with Session(engine) as session:
        assert _queue(settings, session, confirm=False).status == "cancelled"
        session.commit()
    assert store.send_status(engine, EDITION) is None and _audit(engine, starts=True) == []


def test_a_failing_status_change_leaves_no_rows_and_no_start_event(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(engine, 3)

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the send's status cannot be written")

    monkeypatch.setattr(store, "set_send_status", broken)
    with pytest.raises(RuntimeError), Session(engine) as session:
        _queue(settings, session)
        session.commit()  # not reached
    assert store.send_status(engine, EDITION) is None
    assert counts(engine, EDITION) == {} and _audit(engine, starts=True) == []


def test_a_failing_audit_write_leaves_no_rows_and_no_running_status(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(engine, 3)
    record = audit.record

    def unwritable(session: Session, *args: object, **kwargs: object) -> AuditEvent:
        event = record(session, *args, **kwargs)  # type: ignore[arg-type]
        event.action = None  # type: ignore[assignment]  # NOT NULL: fails at flush or commit
        return event

    monkeypatch.setattr(audit, "record", unwritable)
    with pytest.raises(IntegrityError), Session(engine) as session:
        _queue(settings, session)
        session.commit()
    assert store.send_status(engine, EDITION) is None
    assert counts(engine, EDITION) == {} and _audit(engine, starts=True) == []


@pytest.mark.parametrize("action", ["pause", "resume", "retry"])
def test_a_failing_audit_write_undoes_the_change(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    add_subscribers(engine, 2)
    service.start_send(settings, copy_edition(settings), yes=True, detach=True)
    if action == "resume":
        service.pause(settings, EDITION)
    with engine.begin() as conn:  # one row deferred, for retry to re-queue
        conn.execute(store.T.update().where(store.T.c.id == 1).values(state="deferred"))
    before = (store.send_status(engine, EDITION), counts(engine, EDITION), _audit(engine))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", broken)
    work = {
        "pause": controls.pause_send,
        "resume": controls.resume_send,
        "retry": controls.retry_send,
    }[action]
    with pytest.raises(RuntimeError), Session(engine) as session:
        work(session, EDITION, Actor.system())
        session.commit()  # not reached: the change goes with the session, uncommitted
    after = (store.send_status(engine, EDITION), counts(engine, EDITION), _audit(engine))
    assert after == before
