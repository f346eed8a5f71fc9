"""The notice sender: queued mails survive a crash; composed once; failures wait and retry."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from linked.settings import Settings
from linked.subscribers import mail, notices
from linked.subscribers.models import Notice, utcnow
from linked.subscribers.sender import NoticeSender
from linked.web.app import create_app
from tests.fixtures.servers import free_port


def _rows(engine: Engine) -> list[Notice]:
    with Session(engine) as session:
        return list(session.exec(select(Notice)).all())


def _make_due(engine: Engine) -> None:
    """As if the asking process had died and its hold had passed."""
    with Session(engine) as session:
        session.execute(update(Notice).values(due_at=utcnow() - timedelta(seconds=1)))
        session.commit()


def test_a_crash_after_check_your_inbox_still_sends_the_mail(
    settings: Settings, engine: Engine
) -> None:
    # No lifespan: this process answers but never sends, as if it died right after.
    client = TestClient(create_app(settings, migrate=False))
    response = client.post("/subscribe", data={"email": "crash@example.org"})
    assert response.status_code == 200 and "Check your inbox" in response.text
    [row] = _rows(engine)
    assert row.kind == "confirm" and row.email == "crash@example.org"
    assert not settings.outbox_dir.exists() or not list(settings.outbox_dir.iterdir())

    sender = NoticeSender(settings, engine)
    assert asyncio.run(sender.sweep()) == 0  # still held for the asking process
    _make_due(engine)
    assert asyncio.run(sender.sweep()) == 1
    [eml] = settings.outbox_dir.glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "crash@example.org"
    assert "/confirm/" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _rows(engine) == []


def test_the_confirmation_is_composed_once_and_again_after_a_template_change(
    make_settings: Callable[..., Settings], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    calls: list[str] = []
    real = mail.compose_notice

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(args[1]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mail, "compose_notice", counting)
    monkeypatch.setattr(mail, "TEMPLATE_CHECK_SECONDS", 0.0)
    composer = mail.NoticeComposer(settings)
    links = set()
    for n in range(20):
        mailing = notices.Mailing(n + 1, f"p{n}@example.org", "Name", n + 100)
        _, data = composer.confirmation(mailing)
        message = message_from_bytes(data, policy=policy.default)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        links.add(next(line for line in text.splitlines() if "/confirm/" in line))
        assert message["To"].addresses[0].addr_spec == f"p{n}@example.org"
    assert calls == ["confirm"] and len(links) == 20
    # A project's own template: the next mail uses it.
    own = settings.templates_dir / "email" / "confirm.txt.j2"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text("{{ slot('greeting') }}\nOpen {{ confirm_url }} to confirm.\n", "utf-8")
    stamp = time.time() + 5
    os.utime(own, (stamp, stamp))
    _, data = composer.confirmation(notices.Mailing(1, "p@example.org", None, 5))
    assert calls == ["confirm", "confirm"] and b"to confirm." in data


def test_a_temporary_failure_waits_and_the_row_is_kept(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(smtp_url=f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    client = TestClient(create_app(settings, migrate=False))
    assert client.post("/subscribe", data={"email": "later@example.org"}).status_code == 200
    _make_due(engine)
    assert asyncio.run(NoticeSender(settings, engine).sweep()) == 0
    [row] = _rows(engine)
    assert row.attempts == 1 and row.last_error
    assert row.due_at > utcnow() + timedelta(seconds=settings.retry_base_seconds / 2)
