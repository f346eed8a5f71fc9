"""An edition's state for the console's list, from the check and the send and schedule rows
(written here with their real models, so the status module's table views stay right)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts import service as accounts
from linked.accounts.audit import Actor
from linked.accounts.models import Role
from linked.authoring import approval, articles
from linked.authoring.status import EditionState, Facts, State, edition_states, state_of
from linked.delivery.models import Delivery, DeliveryState, Send, SendStatus
from linked.scheduler.models import EventKind, ScheduleEvent
from linked.settings import Settings
from linked.subscribers import service
from tests.fixtures.console import ROLE_EMAILS, add_accounts
from tests.fixtures.project import copy_example

LONDON = ZoneInfo("Europe/London")


def test_state_of_each_case() -> None:
    assert state_of(Facts(errors=0), LONDON) == EditionState(State.ready)
    assert state_of(Facts(errors=2), LONDON) == EditionState(State.errors, "2 error(s)")
    assert state_of(Facts(errors=3, placeholders=True), LONDON).state is State.draft
    when = datetime(2021, 5, 28, 8, 0, tzinfo=UTC)
    assert state_of(Facts(schedule=EventKind.scheduled, run_at=when), LONDON) == EditionState(
        State.scheduled, "Fri 28 May 2021, 09:00 BST"
    )
    assert state_of(
        Facts(schedule=EventKind.blocked, schedule_detail="2 errors"), LONDON
    ) == EditionState(State.blocked, "2 errors")
    counts = {DeliveryState.sent: 3, DeliveryState.queued: 7}
    running = Facts(send_status=SendStatus.running, counts=counts, total=10)
    assert state_of(running, LONDON) == EditionState(State.sending, "3 of 10 sent")
    assert state_of(Facts(errors=0, approved=True), LONDON) == EditionState(State.approved)
    assert state_of(Facts(errors=0, approval_voided=True), LONDON) == EditionState(
        State.ready, "changed since it was approved"
    )
    assert state_of(Facts(errors=1, approved=True), LONDON).state is State.errors
    counts = {DeliveryState.sent: 9, DeliveryState.failed: 1}
    done = Facts(send_status=SendStatus.done, counts=counts, total=10)
    assert state_of(done, LONDON) == EditionState(State.sent, "9 sent, 1 failed")


def test_every_send_status_and_schedule_event_has_its_state() -> None:
    """The status module spells the delivery and scheduler enums' values out (layering):
    each value must still mean what it did there."""
    counts = {DeliveryState.sent: 4, DeliveryState.failed: 1}
    shown = {
        status: state_of(Facts(errors=0, send_status=status, counts=counts, total=6), LONDON)
        for status in SendStatus
    }
    assert shown.pop(SendStatus.done) == EditionState(State.sent, "4 sent, 1 failed")
    assert shown.pop(SendStatus.paused) == EditionState(State.sending, "paused: 4 of 6 sent")
    assert set(shown.values()) == {EditionState(State.sending, "4 of 6 sent")}
    when = datetime(2021, 5, 28, 8, 0, tzinfo=UTC)
    for kind in (EventKind.missed, EventKind.blocked):
        facts = Facts(errors=0, schedule=kind, run_at=when, schedule_detail="why")
        assert state_of(facts, LONDON) == EditionState(State(kind.value), "why")
    facts = Facts(errors=0, schedule=EventKind.scheduled, run_at=when)
    assert state_of(facts, LONDON).state is State.scheduled


def test_states_from_files_and_tables(settings: Settings, engine: Engine, project: Path) -> None:
    editions = project / "editions"
    fresh = articles.new_edition(editions, "fresh", "Fresh", datetime(2021, 6, 1).date())
    example = copy_example(project)
    with Session(engine) as session:
        states = edition_states(settings, session, [fresh, example])
    assert states["fresh"].state is State.draft
    assert states["2021-05"].state is State.ready

    with Session(engine) as session:
        session.add(
            ScheduleEvent(
                edition="2021-05",
                kind=EventKind.scheduled,
                run_at=datetime(2021, 5, 28, 8, tzinfo=UTC),
            )
        )
        session.commit()
        assert edition_states(settings, session, [example])["2021-05"] == EditionState(
            State.scheduled, "Fri 28 May 2021, 09:00 BST"
        )
        subscriber, *_ = service.add(
            session, settings, "a@example.org", None, consent_given_elsewhere=True
        )
        session.add(Send(edition="2021-05", status=SendStatus.running, total=2))
        session.add(
            Delivery(
                edition="2021-05",
                subscriber_id=subscriber.id,
                email="a@example.org",
                state=DeliveryState.sent,
            )
        )
        session.commit()
        assert edition_states(settings, session, [example])["2021-05"] == EditionState(
            State.sending, "1 of 2 sent"
        )


def test_an_approved_edition_says_so_until_its_files_change(
    settings: Settings, engine: Engine, project: Path
) -> None:
    example = copy_example(project)
    add_accounts(engine)
    with Session(engine) as session:
        sender = accounts.get(session, ROLE_EMAILS[Role.sender])
        assert sender.id is not None
        approval.approve(session, settings, "2021-05", sender.id, Actor.cli())
        session.commit()
        assert edition_states(settings, session, [example])["2021-05"] == EditionState(
            State.approved
        )
    (example / "edition.md").write_text(
        (example / "edition.md").read_text() + "\nOne more line.\n", encoding="utf-8"
    )
    with Session(engine) as session:
        assert edition_states(settings, session, [example])["2021-05"] == EditionState(
            State.ready, "changed since it was approved"
        )
