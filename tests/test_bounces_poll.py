"""Polling the bounce mailbox from ``linked worker`` (a real process) and in-process."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from linked.bounces.poll import poll_bounces
from linked.server import build_app
from linked.settings import Settings
from linked.subscribers.models import Subscriber
from tests.fixtures.bounce_corpus import corpus
from tests.fixtures.imap import IMAPServer
from tests.fixtures.sending import add_subscribers, child_env
from tests.fixtures.servers import free_port, serve


def _dsn_for(email: str) -> bytes:
    """A Postfix DSN naming ``email`` (no genuine token: the address decides)."""
    (dsn,) = [s for s in corpus({}) if s.name == "postfix"]
    return dsn.raw.replace(b"ada@example.com", email.encode())


def _status(engine: Engine, subscriber_id: int) -> str:
    with Session(engine) as session:
        found = session.get(Subscriber, subscriber_id)
        assert found is not None
        return found.status.value


def test_the_poller_fetches_at_once_then_every_interval_and_stops(
    make_settings: Callable[..., Settings], engine: Engine, dovecot_imap: IMAPServer
) -> None:
    settings = make_settings(bounce_imap_url=dovecot_imap.url, bounce_poll_minutes=0.01)
    (first, first_email), (second, second_email) = add_subscribers(engine, 2, prefix="poll")
    dovecot_imap.append(_dsn_for(first_email))

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(poll_bounces(settings, engine, stop))
        deadline = time.monotonic() + 20
        while _status(engine, first) != "bounced":
            assert time.monotonic() < deadline, "the first fetch did not happen"
            await asyncio.sleep(0.1)
        dovecot_imap.append(_dsn_for(second_email).replace(b"4F2C13E1A@", b"second@"))
        while _status(engine, second) != "bounced":
            assert time.monotonic() < deadline, "no second fetch after the interval"
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    asyncio.run(scenario())


def test_without_a_mailbox_the_poller_returns_at_once(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    async def scenario() -> None:
        await asyncio.wait_for(poll_bounces(make_settings(), engine, asyncio.Event()), 1)

    asyncio.run(scenario())


def test_linked_worker_fetches_bounces_and_stops_on_sigterm(
    settings: Settings, engine: Engine, dovecot_imap: IMAPServer
) -> None:
    ((reader, email),) = add_subscribers(engine, 1, prefix="worker")
    dovecot_imap.append(_dsn_for(email))
    env = child_env(
        settings,
        free_port(),  # no send runs: the SMTP server is never asked
        LINKED_BOUNCE_IMAP_URL=dovecot_imap.url,
        LINKED_BOUNCE_POLL_MINUTES="0.01",
        LINKED_WORKER_POLL_SECONDS="0.2",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "linked", "--root", str(settings.root), "worker"],
        cwd=settings.root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while _status(engine, reader) != "bounced":
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise AssertionError(f"the worker did not fetch bounces: {err}")
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) in (0, -signal.SIGTERM)
        assert dovecot_imap.messages("INBOX") == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_linked_serve_fetches_bounces_in_its_lifespan(
    make_settings: Callable[..., Settings], engine: Engine, dovecot_imap: IMAPServer
) -> None:
    settings = make_settings(bounce_imap_url=dovecot_imap.url, bounce_poll_minutes=0.01)
    ((reader, email),) = add_subscribers(engine, 1, prefix="serve")
    dovecot_imap.append(_dsn_for(email))
    with serve(build_app(settings), free_port()):
        deadline = time.monotonic() + 30
        while _status(engine, reader) != "bounced":
            assert time.monotonic() < deadline, "linked serve did not fetch bounces"
            time.sleep(0.1)
    assert dovecot_imap.messages("INBOX") == []
