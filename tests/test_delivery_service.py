"""The library functions behind the CLI, against aiosmtpd and the test database."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts.audit import Actor
from linked.accounts.models import AuditEvent
from linked.delivery import service, store
from linked.delivery.progress import Progress
from linked.delivery.report import counts
from linked.errors import LinkedError
from linked.settings import Settings
from tests.fixtures.faulty_smtp import Switchable
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition, rows
from tests.fixtures.smtp import SMTPServer


def _smtp_settings(make_settings: Callable[..., Settings], url: str) -> Settings:
    return make_settings(smtp_url=url, smtp_pool_size=3, retry_base_seconds=0.05)


def test_a_proof_goes_only_to_the_named_addresses(
    make_settings: Callable[..., Settings], engine: Engine, smtp_server: SMTPServer
) -> None:
    settings = _smtp_settings(make_settings, smtp_server.url)
    add_subscribers(engine, 3)
    folder = copy_edition(settings)
    sent = service.send_proof(settings, folder, ["editor@example.org", "chair@example.org"])
    assert sent == ["editor@example.org", "chair@example.org"]
    received = smtp_server.wait_for(2)
    assert [m.recipients for m in received] == [("editor@example.org",), ("chair@example.org",)]
    assert all(str(m.message["Subject"]).startswith("[Proof] ") for m in received)
    assert rows(engine) == {}
    with pytest.raises(LinkedError, match="at least one address"):
        service.send_proof(settings, folder, [])


def test_start_send_asks_first_then_sends_to_everyone(
    make_settings: Callable[..., Settings], engine: Engine, faulty_smtp: Switchable
) -> None:
    settings = _smtp_settings(make_settings, faulty_smtp.url)
    add_subscribers(engine, 12)
    folder = copy_edition(settings)
    asked: list[int] = []

    def refuse(n: int) -> bool:
        asked.append(n)
        return False

    result = service.start_send(settings, folder, confirm=refuse)
    assert (result.status, asked, rows(engine)) == ("cancelled", [12], {})

    seen: list[int] = []
    result = service.start_send(settings, folder, yes=True, progress=lambda p: seen.append(p.done))
    assert result.status == "done" and result.counts["sent"] == 12 and result.added == 12
    assert seen[-1] == 12
    assert sum(faulty_smtp.handler.delivered_to().values()) == 12

    report = service.send_status(settings, EDITION)
    assert (report.status, report.total, report.counts["sent"]) == ("done", 12, 12)
    with pytest.raises(LinkedError, match="no send in progress"):
        service.pause(settings, EDITION)


def test_status_groups_errors_by_reply_and_retry_requeues_temporary_ones(
    make_settings: Callable[..., Settings], engine: Engine, faulty_smtp: Switchable
) -> None:
    settings = _smtp_settings(make_settings, faulty_smtp.url)
    settings = settings.model_copy(update={"max_attempts": 1})
    add_subscribers(engine, 6)
    for i in (0, 1):
        faulty_smtp.handler.permanent[f"reader{i}@example.net"] = "550 5.1.1 unknown user"
    faulty_smtp.handler.temporary["reader2@example.net"] = ["450 4.2.1 busy"]
    folder = copy_edition(settings)
    service.start_send(settings, folder, yes=True)
    report = service.send_status(settings, EDITION)
    assert report.counts["failed"] == 3 and report.counts["sent"] == 3
    assert report.errors[0] == ("failed", "550 5.1.1 unknown user", 2)

    result = service.retry(settings, folder)
    assert result.added == 1 and result.counts["sent"] == 4 and result.counts["failed"] == 2


def test_a_send_is_refused_when_the_check_finds_errors(settings: Settings, engine: Engine) -> None:
    folder = copy_edition(settings)
    article = folder / "01-wood-report.md"
    article.write_text(article.read_text() + "\n![](images/missing.png)\n")
    add_subscribers(engine, 2)
    with pytest.raises(LinkedError, match="not sending"):
        service.start_send(settings, folder, yes=True)
    with pytest.raises(LinkedError, match="not sending"):
        service.send_proof(settings, folder, ["editor@example.org"])
    assert rows(engine) == {}


def test_without_smtp_the_send_writes_the_outbox(settings: Settings, engine: Engine) -> None:
    add_subscribers(engine, 3)
    result = service.start_send(settings, copy_edition(settings), yes=True)
    assert result.counts["sent"] == 3
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 3


def test_follow_reports_a_detached_send_until_workers_finish_it(
    settings: Settings, engine: Engine
) -> None:
    add_subscribers(engine, 5)
    folder = copy_edition(settings)
    service.start_send(settings, folder, yes=True, detach=True)
    seen: list[tuple[int, int, str]] = []

    def report(state: Progress) -> None:
        seen.append((state.total, state.sent, state.waiting))
        if len(seen) == 1:  # a worker turns up after the first look and delivers it all
            prepared = service.prepare_planned(settings, engine, EDITION)
            asyncio.run(service.deliver(settings, engine, EDITION, prepared))

    final = service.follow(settings, folder, report, poll_seconds=0.01)
    assert seen[0] == (5, 0, "waiting for a worker (linked worker or linked serve)")
    assert seen[-1] == (5, 5, "")
    assert (final.status, final.counts["sent"]) == ("done", 5)
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 5


def test_follow_stops_at_a_pause_and_needs_a_send(settings: Settings, engine: Engine) -> None:
    add_subscribers(engine, 2)
    folder = copy_edition(settings)
    with pytest.raises(LinkedError, match="has not been sent"):
        service.follow(settings, folder, lambda state: None)
    service.start_send(settings, folder, yes=True, detach=True)
    service.pause(settings, folder)
    seen: list[str] = []
    report = service.follow(settings, folder, lambda state: seen.append(state.waiting))
    assert seen == ["paused"] and report.status == "paused"


def _audit(engine: Engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(row.actor, row.action, row.detail) for row in rows if row.action != "send.start"]


def test_pause_resume_and_retry_are_audited_as_the_cli(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "ada")
    add_subscribers(engine, 2)
    folder = copy_edition(settings)
    service.start_send(settings, folder, yes=True, detach=True)
    service.pause(settings, folder)
    service.resume(settings, folder)
    service.retry(settings, folder)
    assert _audit(engine) == [
        ("cli:ada", "send.pause", None),
        ("cli:ada", "send.resume", None),
        ("cli:ada", "send.retry", "0 row(s) re-queued"),
    ]


def test_a_detached_start_commits_its_rows_event_and_status_together(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(engine, 3)

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the send's status cannot be written")

    monkeypatch.setattr(store, "set_send_status", broken)
    folder = copy_edition(settings)
    with pytest.raises(RuntimeError):
        service.start_detached(settings, engine, folder, confirm=None, actor=Actor.cli())
    # Before, the plan and send.start were committed first and left behind as "planned".
    assert store.send_status(engine, EDITION) is None and counts(engine, EDITION) == {}
    with Session(engine) as session:
        assert session.exec(select(AuditEvent)).all() == []
