"""`linked send` against a real Postfix relay: the failures a real deployment meets first.

One Postfix instance (with Dovecot's SASL service) serves the module
(:mod:`tests.fixtures.postfix`). Each test runs the real command line in a child
process, on its own recipients, and counts what reached each recipient's Maildir.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from linked.settings import Settings
from tests.fixtures import postfix
from tests.fixtures.postfix import PASSWORD, PROTOCOL_WARNINGS, Relay
from tests.fixtures.sending import EDITION, add_subscribers, child_env, copy_edition, rows

pytestmark = pytest.mark.skipif(
    postfix.missing() is not None, reason=postfix.missing() or "Postfix is available"
)


@pytest.fixture(scope="module")
def relay() -> Iterator[Relay]:
    yield from postfix.relay_instance()


def linked(
    settings: Settings, url: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``linked --root … ARGS`` in a child process (not a terminal), sending through ``url``."""
    environ = child_env(settings, 0, **env)
    environ["LINKED_SMTP_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "linked", "--root", str(settings.root), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def send(
    settings: Settings, url: str, edition: str = EDITION, **env: str
) -> subprocess.CompletedProcess[str]:
    return linked(settings, url, "send", edition, "--yes", **env)


def subscribers(engine: Engine, settings: Settings, prefix: str, count: int) -> list[str]:
    copy_edition(settings)
    return [
        email for _, email in add_subscribers(engine, count, prefix=prefix, domain="example.test")
    ]


def assert_clean_log(relay: Relay, start: int) -> None:
    log = relay.log_text(start)
    found = [line for line in log.splitlines() if any(w in line for w in PROTOCOL_WARNINGS)]
    assert not found, "\n".join(found)


def assert_each_once(relay: Relay, prefix: str, recipients: list[str]) -> None:
    delivered = relay.wait_delivered(prefix, len(recipients))
    assert delivered == dict.fromkeys(recipients, 1)


def test_wrong_password_stops_at_once_then_the_right_one_delivers_each_once(
    relay: Relay, settings: Settings, engine: Engine
) -> None:
    recipients = subscribers(engine, settings, "auth", 20)
    start = relay.log_size()
    ca = {"LINKED_SMTP_CA_FILE": str(relay.cert)}

    wrong = send(settings, relay.url("submission", password="not-the-password"), **ca)

    assert wrong.returncode != 0
    assert "refused the user name or password: check LINKED_SMTP_URL" in wrong.stderr
    assert "not-the-password" not in wrong.stderr + wrong.stdout
    assert "Traceback" not in wrong.stderr
    states = {(row.state, row.attempts) for row in rows(engine).values()}
    assert states == {("queued", 0)}  # no row changed state
    failed_logins = relay.log_text(start).count("authentication failed")
    assert 1 <= failed_logins <= 2 * settings.smtp_pool_size

    right = send(settings, relay.url("submission"), **ca)

    assert right.returncode == 0, right.stderr
    assert PASSWORD not in right.stderr + right.stdout
    assert {row.state for row in rows(engine).values()} == {"sent"}
    assert_each_once(relay, "auth", recipients)
    assert_clean_log(relay, start)


def test_untrusted_certificate_stops_within_seconds_then_the_ca_file_delivers(
    relay: Relay, settings: Settings, engine: Engine
) -> None:
    recipients = subscribers(engine, settings, "tls", 10)
    start = relay.log_size()

    began = time.monotonic()
    untrusted = send(settings, relay.url("smtps"))
    took = time.monotonic() - began

    assert untrusted.returncode != 0
    assert "certificate is not trusted" in untrusted.stderr
    assert "LINKED_SMTP_CA_FILE" in untrusted.stderr
    assert took < 30, f"took {took:.1f} s"
    assert {row.state for row in rows(engine).values()} == {"queued"}
    assert relay.log_text(start).count("SSL_accept error") <= 2 * settings.smtp_pool_size

    # `linked resume` carries the stopped send on, like `linked send` again.
    trusted = linked(
        settings, relay.url("smtps"), "resume", EDITION, LINKED_SMTP_CA_FILE=str(relay.cert)
    )

    assert trusted.returncode == 0, trusted.stderr
    assert_each_once(relay, "tls", recipients)
    assert_clean_log(relay, start)


def test_a_name_the_certificate_is_not_for_names_the_problem(
    relay: Relay, settings: Settings, engine: Engine
) -> None:
    subscribers(engine, settings, "name", 2)
    url = relay.url("submission", host="127.0.0.1")  # the certificate is for localhost

    result = send(settings, url, LINKED_SMTP_CA_FILE=str(relay.cert))

    assert result.returncode != 0
    assert "is not for '127.0.0.1'" in result.stderr, result.stderr
    assert {row.state for row in rows(engine).values()} == {"queued"}


def test_connection_limit_below_the_pool_lowers_concurrency_not_the_breaker(
    relay: Relay, settings: Settings, engine: Engine
) -> None:
    # The same 60 recipients get one edition through a pool of 3, then another through
    # the default pool of 10, on a port that allows 3 connections per client.
    recipients = subscribers(engine, settings, "conn", 60)
    shutil.copytree(settings.editions_dir / EDITION, settings.editions_dir / "2021-06")
    timings = {}
    for edition, pool in ((EDITION, "3"), ("2021-06", "10")):
        start = relay.log_size()
        began = time.monotonic()
        result = send(settings, relay.url("conn_limit"), edition, LINKED_SMTP_POOL_SIZE=pool)
        timings[pool] = time.monotonic() - began
        assert result.returncode == 0, result.stderr
        sent = {(row.state, row.attempts) for row in rows(engine, edition).values()}
        assert sent == {("sent", 1)}
        assert_clean_log(relay, start)

    assert relay.wait_delivered("conn", 120) == dict.fromkeys(recipients, 2)
    assert "Connection concurrency limit exceeded" in relay.log_text(start)  # pool of 10
    status = linked(settings, relay.url("conn_limit"), "status", "2021-06")
    assert "of 10 connections" in status.stdout, status.stdout
    assert timings["10"] <= 2 * timings["3"], timings


def test_message_rate_limit_slows_the_send_without_spending_attempts(
    relay: Relay, settings: Settings, engine: Engine
) -> None:
    recipients = subscribers(engine, settings, "rate", 40)
    start = relay.log_size()

    result = send(settings, relay.url("rate_limit"))

    assert result.returncode == 0, result.stderr
    assert_each_once(relay, "rate", recipients)
    assert max(row.attempts for row in rows(engine).values()) <= 2
    assert {row.state for row in rows(engine).values()} == {"sent"}
    log = relay.log_text(start)
    assert (
        re.search(r"4\.7\.1 .*too much mail", log) or "Message delivery request rate limit" in log
    )
    assert_clean_log(relay, start)
    status = linked(settings, relay.url("rate_limit"), "status", EDITION)
    assert "pace:" in status.stdout and "msg/s" in status.stdout, status.stdout
