"""The SMTP pool against aiosmtpd: wire form, RSET after refusals, reconnects, outages."""

from __future__ import annotations

import pytest

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.pool import ConnectionFailure, SMTPPool, wire_form
from linked.transport import SMTPURL, PermanentFailure, TemporaryFailure
from tests.fixtures.faulty_smtp import Switchable

SENDER = "bulletin@example.org"


def test_wire_form_doubles_leading_dots_and_fixes_line_endings() -> None:
    assert wire_form(b"a\r\n.b\r\n") == b"a\r\n..b\r\n.\r\n"
    assert wire_form(b".a\nb") == b"..a\r\nb\r\n.\r\n"
    assert wire_form(b"a\rb\r\n", prepared=False) == b"a\r\nb\r\n.\r\n"
    assert wire_form(b"x\r\n", prepared=True) == b"x\r\n.\r\n"


async def test_messages_arrive_intact_and_refusals_keep_the_connection(
    faulty_smtp: Switchable,
) -> None:
    faulty_smtp.handler.permanent["gone@example.net"] = "550 5.1.1 gone"
    faulty_smtp.handler.temporary["busy@example.net"] = ["451 4.3.0 busy"]
    pool = SMTPPool(SMTPURL.parse(faulty_smtp.url), size=1)
    body = b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n"
    try:
        reply = await pool.send_reply(SENDER, ["a@example.net"], body)
        assert reply.startswith("250")
        with pytest.raises(PermanentFailure) as refused:
            await pool.send(SENDER, ["gone@example.net"], body)
        assert refused.value.code == 550 and "gone" in refused.value.reply
        with pytest.raises(TemporaryFailure) as busy:
            await pool.send(SENDER, ["busy@example.net"], body)
        assert busy.value.code == 451 and not isinstance(busy.value, ConnectionFailure)
        await pool.send(SENDER, ["b@example.net"], body)
        client = pool.connections[0].client
        assert client is not None  # the pipelined path is the one taken when advertised
        assert client.supports_extension("pipelining") is faulty_smtp.handler.pipelining
    finally:
        await pool.close()
    received = faulty_smtp.handler.messages
    assert [m.recipients for m in received] == [("a@example.net",), ("b@example.net",)]
    assert received[0].data.replace(b"\r\n", b"\n").endswith(b".leading dot\n..two\nend\n")
    assert faulty_smtp.handler.sessions == 1  # RSET, not a new connection


async def test_a_server_that_is_down_trips_the_shared_breaker(faulty_smtp: Switchable) -> None:
    faulty_smtp.stop()
    breaker = CircuitBreaker(base=0.05, ceiling=0.2)
    pool = SMTPPool(SMTPURL.parse(faulty_smtp.url), size=2, breaker=breaker)
    try:
        with pytest.raises(ConnectionFailure) as down:
            await pool.send(SENDER, ["a@example.net"], b"Subject: x\r\n\r\nx\r\n")
        assert not down.value.during_message and breaker.is_open and breaker.trips == 1
        faulty_smtp.start()
        await pool.send(SENDER, ["a@example.net"], b"Subject: x\r\n\r\nx\r\n")
        assert not breaker.is_open and breaker.delay == 0
    finally:
        await pool.close()
