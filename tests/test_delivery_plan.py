"""Planning a send: one row per confirmed subscriber, idempotent."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from linked.compose.composer import ComposedEmail
from linked.delivery.plan import get_send, load_content, recipients_left
from tests.fixtures.sending import EDITION, add_subscribers, plan_send, rows, set_status

HELLO = ComposedEmail("Hello", "Café news", "<p>Grüße {{ slot }}</p>", "Grüße")


def test_plan_writes_one_queued_row_per_confirmed_subscriber(engine: Engine) -> None:
    confirmed = add_subscribers(engine, 7)
    add_subscribers(engine, 2, status="pending", prefix="p")
    add_subscribers(engine, 2, status="bounced", prefix="b")
    with Session(engine) as session:
        assert recipients_left(session, EDITION) == 7
        send, added = plan_send(session, EDITION, HELLO)
    assert (added, send.total, send.status, send.subject) == (7, 7, "planned", "Hello")
    assert load_content(send) == HELLO
    planned = rows(engine)
    assert set(planned) == {email for _, email in confirmed}
    assert {(r.state, r.attempts) for r in planned.values()} == {("queued", 0)}
    assert {r.subscriber_id for r in planned.values()} == {sid for sid, _ in confirmed}


def test_planning_again_only_adds_subscribers_confirmed_since(engine: Engine) -> None:
    add_subscribers(engine, 3)
    with Session(engine) as session:
        plan_send(session, EDITION)
    set_status(engine, "reader0@example.net", "unsubscribed")  # its row stays as it is
    add_subscribers(engine, 2, prefix="late")
    with Session(engine) as session:
        assert recipients_left(session, EDITION) == 5
        send, added = plan_send(session, EDITION)
        assert (added, send.total) == (2, 5)
        send, added = plan_send(session, EDITION)
        assert (added, send.total) == (0, 5)
        assert get_send(session, EDITION) is not None
    assert len(rows(engine)) == 5


def test_sends_of_different_editions_are_separate(engine: Engine) -> None:
    add_subscribers(engine, 2)
    with Session(engine) as session:
        plan_send(session, EDITION)
        _send, added = plan_send(session, "2021-06")
    assert added == 2
    assert len(rows(engine, "2021-06")) == 2


def test_planning_again_keeps_the_newest_composition(engine: Engine) -> None:
    add_subscribers(engine, 1)
    fixed = ComposedEmail("Hello again", None, "<p>fixed</p>", "fixed")
    with Session(engine) as session:
        plan_send(session, EDITION, HELLO)
        send, _added = plan_send(session, EDITION, fixed)
        assert (send.subject, load_content(send)) == ("Hello again", fixed)
        send, _added = plan_send(session, EDITION)  # no composition given: kept as it was
        assert load_content(send) == fixed


def test_a_send_planned_without_content_has_none(engine: Engine) -> None:
    with Session(engine) as session:
        send, _added = plan_send(session, EDITION)
        assert load_content(send) is None
