"""The scheduler against the test database and a real SMTP server (aiosmtpd), in real time.

Nothing is mocked, and nothing depends on the machine's speed: the clock that
decides "in the past" is injected (``now=``), a send that should already be due is
scheduled in the past, and tests wait on events (messages, event rows), not sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.accounts.models import AuditEvent
from linked.delivery import store
from linked.delivery.plan import get_send
from linked.errors import LinkedError
from linked.scheduler import events
from linked.scheduler.runtime import Scheduler, run_scheduled_send
from linked.scheduler.service import (
    cancel_schedule,
    list_schedules,
    resolve_time,
    schedule_edition,
    scheduled_for,
)
from linked.settings import Settings
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition, rows
from tests.fixtures.smtp import SMTPServer

SettingsFactory = Callable[..., Settings]


def _project(
    make_settings: SettingsFactory,
    smtp: SMTPServer,
    engine: Engine,
    readers: int,
    **overrides: object,
) -> Settings:
    """Settings sending to ``smtp``, with ``readers`` confirmed subscribers and the edition."""
    settings = make_settings(smtp_url=smtp.url, smtp_pool_size=2, **overrides)
    add_subscribers(engine, readers)
    copy_edition(settings)
    return settings


@pytest.fixture
def running() -> Iterator[Callable[[Settings], Scheduler]]:
    """Start schedulers for the test; all are shut down at the end."""
    started: list[Scheduler] = []

    def start(settings: Settings) -> Scheduler:
        scheduler = Scheduler(settings)
        scheduler.start()
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.shutdown()


def _schedule(settings: Settings, seconds: float) -> datetime:
    """Schedule the edition ``seconds`` from now (negative: already past), whatever the load.

    The refusal of past times compares with the injected ``now``, so a slow machine
    never turns a future time into a refused one; the returned time is when it is due.
    """
    now = datetime.now(UTC)
    return schedule_edition(settings, EDITION, now + timedelta(seconds=seconds), now=now - _MARGIN)


#: How far back the injected clock is set, so a time "just past" is still accepted.
_MARGIN = timedelta(hours=1)


def _soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _kinds(engine: Engine) -> list[str]:
    return [e.kind for e in events.history(engine, EDITION)]


def _wait_for_kind(engine: Engine, kind: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while kind not in _kinds(engine):
        assert time.monotonic() < deadline, f"no {kind!r} event: {_kinds(engine)}"
        time.sleep(0.1)


def test_a_job_fires_at_its_time(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    running: Callable[[Settings], Scheduler],
) -> None:
    settings = _project(make_settings, smtp_server, engine, 3)
    scheduler = running(settings)
    at = _schedule(settings, 2)
    scheduler.wakeup()  # a running scheduler sees jobs added by another scheduler object
    received = smtp_server.wait_for(3, timeout=30)
    assert sorted(m.recipients[0] for m in received) == [f"reader{i}@example.net" for i in range(3)]
    _wait_for_kind(engine, "sent", timeout=30)
    assert _kinds(engine) == ["scheduled", "started", "sent"]
    # Never early, however slow or fast the machine: the job started at or after its time.
    started = next(e for e in events.history(engine, EDITION) if e.kind == "started")
    assert started.created_at.replace(tzinfo=started.created_at.tzinfo or UTC) >= at
    assert all(r.state == "sent" for r in rows(engine).values())
    [entry] = list_schedules(settings)
    assert (entry.state, entry.when) == ("sent", at)


def test_a_persisted_job_fires_after_a_restart(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    running: Callable[[Settings], Scheduler],
) -> None:
    settings = _project(make_settings, smtp_server, engine, 2)
    first = Scheduler(settings)
    first.start()
    at = _schedule(settings, 3)
    first.shutdown()  # the process stops before the time
    before = at - timedelta(seconds=1)
    assert [e.state for e in list_schedules(settings, now=before)] == ["scheduled"]
    running(settings)  # ...and a new one starts: the job comes from the database
    assert len(smtp_server.wait_for(2, timeout=30)) == 2


def test_a_missed_send_inside_grace_starts_on_start(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    running: Callable[[Settings], Scheduler],
) -> None:
    settings = _project(make_settings, smtp_server, engine, 2, schedule_grace_hours=1)
    _schedule(settings, -2)  # "the service was down" past the time, within the hour's grace
    assert [e.state for e in list_schedules(settings)] == ["due"]
    running(settings)
    assert len(smtp_server.wait_for(2, timeout=30)) == 2


def test_a_send_missed_beyond_grace_is_reported_not_sent(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    running: Callable[[Settings], Scheduler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _project(make_settings, smtp_server, engine, 2, schedule_grace_hours=1 / 3600)
    _schedule(settings, -60)  # down for a minute, far longer than the 1 s grace
    assert [e.state for e in list_schedules(settings)] == ["missed-outside-grace"]
    with caplog.at_level("WARNING", logger="linked.scheduler"):
        scheduler = running(settings)
        _wait_for_kind(engine, "missed", timeout=30)
    # A missed job is gone from the store: nothing is left that could still send.
    # APScheduler reports the miss (our event) from its executor thread while its own
    # thread removes the job: either may come first.
    deadline = time.monotonic() + 10
    while scheduler.pending():
        assert time.monotonic() < deadline, f"still pending: {scheduler.pending()}"
        time.sleep(0.05)
    assert smtp_server.messages == []
    assert rows(engine) == {}
    assert _kinds(engine) == ["scheduled", "missed"]
    [entry] = list_schedules(settings)
    assert entry.state == "missed" and "not sent" in entry.detail
    assert any("event=schedule.missed" in r.getMessage() for r in caplog.records)


def test_cancel(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    running: Callable[[Settings], Scheduler],
) -> None:
    settings = _project(make_settings, smtp_server, engine, 1)
    _schedule(settings, -2)  # already due: a running scheduler would send it at once
    cancel_schedule(settings, EDITION)
    with pytest.raises(LinkedError, match="not scheduled"):
        cancel_schedule(settings, EDITION)
    scheduler = running(settings)
    # No job in the store means nothing can fire; no need to wait and see.
    assert scheduler.pending() == {}
    assert smtp_server.messages == []
    assert list_schedules(settings) == []


def test_a_failing_check_at_send_time_blocks_and_is_reported(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    running: Callable[[Settings], Scheduler],
) -> None:
    settings = _project(make_settings, smtp_server, engine, 2)
    folder = copy_edition(settings)
    _schedule(settings, -2)  # due as soon as a scheduler runs
    # After scheduling, someone breaks the edition: the title goes.
    head = folder / "edition.md"
    head.write_text(head.read_text().replace('title: "Linked — May 2021"\n', ""))
    running(settings)
    _wait_for_kind(engine, "blocked", timeout=30)
    assert _kinds(engine) == ["scheduled", "blocked"]
    assert smtp_server.messages == [] and rows(engine) == {}
    [entry] = list_schedules(settings)
    assert entry.state == "blocked" and "linked check" in entry.detail and "title" in entry.detail


def test_running_a_scheduled_send_twice_sends_once(
    make_settings: SettingsFactory, engine: Engine, smtp_server: SMTPServer
) -> None:
    settings = _project(make_settings, smtp_server, engine, 3)
    assert run_scheduled_send(settings, EDITION) == "sent"
    smtp_server.wait_for(3)
    add_subscribers(engine, 1, prefix="late")  # confirmed after the send
    # Delivery is synchronous here: every message was accepted before the call returned.
    assert run_scheduled_send(settings, EDITION) == "sent"
    assert len(smtp_server.messages) == 3
    assert len(rows(engine)) == 3


def _broken_write(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the database went away mid-start")


def _starts(engine: Engine) -> list[str]:
    """Who started a send, by the audit log."""
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == "send.start")
        return [event.actor for event in session.exec(query)]


@pytest.mark.parametrize("broken", ["status", "event"])
def test_a_scheduled_start_commits_whole_or_not_at_all(
    make_settings: SettingsFactory,
    engine: Engine,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
    broken: str,
) -> None:
    """Rows, ``running``, ``send.start`` and ``started`` commit together, as for Send now."""
    settings = _project(make_settings, smtp_server, engine, 3)
    with monkeypatch.context() as patched:
        if broken == "status":
            patched.setattr(store, "set_send_status", _broken_write)
        else:
            patched.setattr(events, "add", _broken_write)
        with pytest.raises(RuntimeError, match="went away"):
            run_scheduled_send(settings, EDITION)
    assert rows(engine) == {} and _kinds(engine) == [] and _starts(engine) == []
    with Session(engine) as session:
        assert get_send(session, EDITION) is None
    # Fired again, it starts cleanly: planned now, not taken for a send already under way.
    assert run_scheduled_send(settings, EDITION) == "sent"
    assert len(smtp_server.wait_for(3)) == 3
    [started, sent] = events.history(engine, EDITION)
    assert (started.kind, started.detail) == ("started", "planned 3 recipient(s)")
    assert (sent.kind, sent.detail) == ("sent", "delivery done")
    assert _starts(engine) == ["system:scheduler"]


def test_a_scheduled_send_to_nobody_is_blocked_and_leaves_nothing(
    make_settings: SettingsFactory, engine: Engine, smtp_server: SMTPServer
) -> None:
    settings = make_settings(smtp_url=smtp_server.url)
    copy_edition(settings)  # and no subscriber
    assert run_scheduled_send(settings, EDITION, deliver_now=False) == "blocked"
    [blocked] = events.history(engine, EDITION)
    assert "nobody to send" in blocked.detail
    assert _starts(engine) == []
    with Session(engine) as session:
        assert get_send(session, EDITION) is None


def test_scheduling_in_the_past_or_without_a_time_is_refused(settings: Settings) -> None:
    copy_edition(settings)
    with pytest.raises(LinkedError, match="is in the past"):
        schedule_edition(settings, EDITION, datetime(2021, 5, 28, 9, 0))
    # Times a few seconds apart are told apart: the message shows seconds.
    now = datetime(2031, 5, 28, 8, 0, 30, tzinfo=UTC)
    with pytest.raises(LinkedError) as caught:
        schedule_edition(settings, EDITION, now - timedelta(seconds=5), now=now)
    assert str(caught.value) == (
        "2031-05-28 09:00:25 BST is in the past (it is now 2031-05-28 09:00:30 BST); "
        "choose a later time"
    )
    with pytest.raises(LinkedError, match="no send_at"):
        schedule_edition(settings, EDITION)
    with pytest.raises(LinkedError, match="no edition folder"):
        schedule_edition(settings, "1999-01", _soon(60))


def test_send_at_from_the_front_matter_is_the_default(settings: Settings) -> None:
    folder = copy_edition(settings)
    head = folder / "edition.md"
    head.write_text(
        head.read_text().replace("number: 3\n", "number: 3\nsend_at: 2031-06-06T09:00\n")
    )
    when = schedule_edition(settings, EDITION)
    assert when == datetime(2031, 6, 6, 8, 0, tzinfo=UTC)  # 09:00 BST
    [entry] = list_schedules(settings)
    assert (entry.state, entry.when) == ("scheduled", when)
    assert entry.when is not None and entry.when.tzinfo is settings.zone


def test_naive_times_at_the_clock_changes_are_deterministic(settings: Settings) -> None:
    """Europe/London: ambiguous → the first (BST) 01:30; non-existent 01:30 → 02:30 BST."""
    ambiguous = resolve_time(settings, datetime(2021, 10, 31, 1, 30))
    assert ambiguous.astimezone(UTC) == datetime(2021, 10, 31, 0, 30, tzinfo=UTC)
    assert ambiguous.utcoffset() == timedelta(hours=1)
    missing = resolve_time(settings, datetime(2021, 3, 28, 1, 30))
    assert missing.astimezone(UTC) == datetime(2021, 3, 28, 1, 30, tzinfo=UTC)
    assert (missing.hour, missing.minute, missing.utcoffset()) == (2, 30, timedelta(hours=1))
    # An explicit offset is kept as the instant it names.
    explicit = resolve_time(settings, datetime.fromisoformat("2021-10-31T01:30+00:00"))
    assert explicit.astimezone(UTC) == datetime(2021, 10, 31, 1, 30, tzinfo=UTC)

    copy_edition(settings)
    before = datetime(2021, 1, 1, tzinfo=UTC)
    schedule_edition(settings, EDITION, datetime(2021, 10, 31, 1, 30), now=before)
    [entry] = list_schedules(settings, now=before)
    assert entry.when == ambiguous
    schedule_edition(settings, EDITION, datetime(2021, 3, 28, 1, 30), now=before)
    [entry] = list_schedules(settings, now=before)
    assert entry.when == missing


def test_a_time_in_another_zone_is_shown_in_local_time(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(timezone="America/New_York")
    copy_edition(settings)
    when = schedule_edition(settings, EDITION, datetime(2031, 1, 1, 9, 0))
    assert when.astimezone(UTC) == datetime(2031, 1, 1, 14, 0, tzinfo=UTC)


def _broken_audit(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the audit log cannot be written")


def test_a_schedule_and_its_audit_event_commit_together(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_edition(settings)
    with monkeypatch.context() as patched:
        patched.setattr(audit, "record", _broken_audit)
        with pytest.raises(RuntimeError):
            schedule_edition(settings, EDITION, _soon(3600))
    assert scheduled_for(settings, EDITION) is None and _kinds(engine) == []
    when = schedule_edition(settings, EDITION, _soon(3600), actor=Actor("sender@example.org"))
    monkeypatch.setattr(audit, "record", _broken_audit)
    with pytest.raises(RuntimeError):
        cancel_schedule(settings, EDITION)
    assert scheduled_for(settings, EDITION) == when and _kinds(engine) == ["scheduled"]
    with Session(engine) as session:
        [event] = session.exec(select(AuditEvent)).all()
    assert (event.actor, event.action) == ("sender@example.org", "send.schedule")
