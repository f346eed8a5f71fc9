"""The real ``linked serve`` process: web app, scheduler and delivery worker, with restarts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from linked.cli import app
from linked.db.engine import make_engine
from linked.scheduler.service import schedule_edition
from linked.server import smtp_check
from linked.settings import Settings, load_settings
from linked.subscribers.models import ConsentEvent
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.project import REPO, run_linked
from tests.fixtures.sending import EDITION, add_subscribers, rows
from tests.fixtures.servers import free_port
from tests.fixtures.smtp import SMTPServer

Server = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def serve(
    example_edition: Path,
    settings: Settings,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Server, str]]:
    """Start ``linked serve`` processes on one port; every one is stopped at the end."""
    port = free_port()
    env = {
        "LINKED_SMTP_URL": smtp_server.url,
        "LINKED_SECRET_KEY": TEST_SECRET,
        "LINKED_FROM": "Linked <bulletin@example.org>",
        "LINKED_WORKER_POLL_SECONDS": "0.5",
        "LINKED_SMTP_POOL_SIZE": "2",
        "LINKED_ALLOW_LOCAL_LINKS": "true",  # the test servers are on this computer
    }
    if settings.database_url:
        env["LINKED_DATABASE_URL"] = settings.database_url
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # run_linked passes the environment on, too
    root = example_edition.parent.parent
    started: list[subprocess.Popen[str]] = []
    base = f"http://127.0.0.1:{port}"

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "linked", "serve", "--port", str(port), *args],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(proc)
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "linked serve did not start"
            time.sleep(0.1)

    yield start, base
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, then the process must shut down by itself, cleanly.

    uvicorn re-raises the signal once its graceful shutdown is over, so the exit
    status is the conventional "terminated by SIGTERM" (-15), not a crash.
    """
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output and "Traceback" not in output
    return output


def _confirmed(root: Path, count: int) -> None:
    for i in range(count):
        address = f"reader{i}@example.net"
        code, _, err = run_linked(
            "subscribers", "add", address, "--consent-given-elsewhere", cwd=root
        )
        assert code == 0, err


def test_a_schedule_survives_a_restart_and_everyone_gets_one_copy(
    serve: tuple[Server, str], example_edition: Path, smtp_server: SMTPServer
) -> None:
    start, base = serve
    root = example_edition.parent.parent
    _confirmed(root, 3)
    first = start()
    health = httpx.get(f"{base}/healthz").json()
    assert health == {
        "status": "ok",
        "checks": {"database": "ok", "scheduler": "ok", "smtp": "ok"},
    }
    # Scheduled through the CLI while the server runs, far enough ahead that no machine is
    # slow enough for it to fire before the server stops.
    later = datetime.now(UTC) + timedelta(days=1)
    code, _, err = run_linked("schedule", EDITION, "--at", later.isoformat(), cwd=root)
    assert code == 0, err
    output = _stop(first)
    assert "event=server.stopped" in output
    assert smtp_server.messages == []
    code, out, _ = run_linked("schedule", "list", cwd=root)
    assert "scheduled" in out  # the job outlived the process
    # While no server runs, its time comes: moved into the (injected) past, within grace.
    now = datetime.now(UTC)
    at = schedule_edition(
        load_settings(root), EDITION, now - timedelta(seconds=1), now=now - timedelta(hours=1)
    )
    second = start()
    received = smtp_server.wait_for(3, timeout=60)
    assert datetime.now(UTC) >= at
    time.sleep(2)  # nothing more arrives
    assert sorted(m.recipients[0] for m in smtp_server.messages) == [
        f"reader{i}@example.net" for i in range(3)
    ]
    assert len(received) == 3
    code, out, _ = run_linked("schedule", "list", cwd=root)
    assert "sent" in out and "delivery done" in out
    _stop(second)


def test_sigterm_during_a_send_then_restart_delivers_every_message_once(
    serve: tuple[Server, str],
    example_edition: Path,
    engine: Engine,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 60 messages take about 12 s: time enough to stop the server mid-send on a busy machine.
    monkeypatch.setenv("LINKED_RATE_PER_SECOND", "5")
    start, _base = serve
    root = example_edition.parent.parent
    add_subscribers(engine, 60)
    first = start()
    # Already due (the refusal of past times uses an injected clock): it starts at once,
    # however long the machine takes to get here.
    now = datetime.now(UTC)
    schedule_edition(
        load_settings(root), EDITION, now - timedelta(seconds=1), now=now - timedelta(hours=1)
    )
    smtp_server.wait_for(5, timeout=60)
    _stop(first)  # in the middle of the send
    stopped_at = len(smtp_server.messages)
    assert stopped_at < 60
    states = {r.state for r in rows(engine).values()}
    assert states <= {"sent", "queued"}, states  # nothing left half-claimed
    start()
    smtp_server.wait_for(60, timeout=90)
    time.sleep(1.5)
    recipients = [m.recipients[0] for m in smtp_server.messages]
    assert len(recipients) == 60 and len(set(recipients)) == 60
    assert {r.state for r in rows(engine).values()} == {"sent"}


def test_a_worker_on_a_shared_database_needs_the_secret_key(tmp_path: Path) -> None:
    env = {"LINKED_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(app, ["--root", str(tmp_path), "worker"], env=env)
    assert result.exit_code == 1
    assert "set LINKED_SECRET_KEY" in result.output


def _refusing_server(reply: bytes) -> tuple[int, threading.Thread]:
    """A TCP server that answers one connection with ``reply`` and closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_once() -> None:
        with listener:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(reply)

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    return port, thread


def test_the_smtp_health_check_wants_a_greeting(
    make_settings: Callable[..., Settings], smtp_server: SMTPServer
) -> None:
    assert smtp_check(make_settings())() == "ok (outbox)"
    assert smtp_check(make_settings(smtp_url=smtp_server.url))() == "ok"
    port, thread = _refusing_server(b"554 no service here\r\n")
    with pytest.raises(RuntimeError, match="did not greet: '554 no service here'"):
        smtp_check(make_settings(smtp_url=f"smtp://127.0.0.1:{port}"))()
    thread.join(5)
    with pytest.raises(OSError):
        smtp_check(make_settings(smtp_url=f"smtp://127.0.0.1:{free_port()}"))()


def _consent_ips(settings: Settings) -> list[str | None]:
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            return [e.ip for e in session.exec(select(ConsentEvent).order_by(ConsentEvent.id))]
    finally:
        engine.dispose()


def test_serve_believes_x_forwarded_for_only_with_proxy_headers(
    serve: tuple[Server, str], settings: Settings
) -> None:
    """A local proxy's clients cannot forge the logged IP unless the proxy is trusted."""
    start, base = serve
    forged = {"X-Forwarded-For": "198.51.100.77"}
    proc = start()
    assert httpx.post(
        f"{base}/subscribe", data={"email": "a@example.org"}, headers=forged
    ).is_success
    _stop(proc)
    proc = start("--proxy-headers")
    assert httpx.post(
        f"{base}/subscribe", data={"email": "b@example.org"}, headers=forged
    ).is_success
    _stop(proc)
    assert _consent_ips(settings) == ["127.0.0.1", "198.51.100.77"]
