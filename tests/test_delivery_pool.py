"""The SMTP pool against aiosmtpd: wire form, RSET, reconnects, outages, pipelining, TLS."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtplib import SMTPResponseException
from aiosmtplib.response import SMTPResponse

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.pool import ConnectionFailure, SMTPPool, wire_form
from linked.delivery.pool.connection import Opened
from linked.delivery.pool.wire import ReplyReader, envelope
from linked.idn import SMTPUTF8_REFUSAL
from linked.transport import SMTPURL, PermanentFailure, TemporaryFailure
from tests.fixtures.faulty_smtp import FaultySMTP, Switchable, free_port

SENDER = "bulletin@example.org"


async def test_the_pool_describes_itself_only_while_it_runs_below_its_size() -> None:
    pool = SMTPPool(SMTPURL.parse("smtp://127.0.0.1:2525"), size=3)
    assert pool.describe() == ""  # nothing limits it: nothing to show in linked status
    assert pool.concurrency.refused(2, "421 4.7.0 too many connections")
    assert pool.describe() == (
        "the relay refused a connection while 2 worked (421 4.7.0 too many connections): "
        "using 2 of 3 connections"
    )
    await pool.close()


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


@dataclass
class BodyFaults(FaultySMTP):
    """Also refuses a message after its end of data, or closes the connection after it."""

    refuse_body: dict[str, str] = field(default_factory=dict)
    close_after: set[str] = field(default_factory=set)
    hang_up_at: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.hang_up_at:  # a little after answering this envelope
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for address in envelope.rcpt_tos:
            if address in self.refuse_body:
                return self.refuse_body[address]
        reply = await super().handle_DATA(server, session, envelope)
        if self.close_after & set(envelope.rcpt_tos):
            # The reply, then end of file before any pipelined command behind it is read.
            server.transport.write(reply.encode() + b"\r\n")
            server.transport.close()
        return reply


@pytest.fixture(params=[False, True], ids=["plain", "pipelining"])
def faults(request: pytest.FixtureRequest) -> Iterator[Switchable]:
    server = Switchable(BodyFaults(pipelining=request.param))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _delivered(server: Switchable) -> list[str]:
    return [r for m in server.handler.messages for r in m.recipients]


BODY = b"Subject: x\r\n\r\nhello\r\n"


async def test_the_next_envelope_rides_behind_the_end_of_data(faults: Switchable) -> None:
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    try:
        reply = await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
        assert reply.startswith("250")
        if faults.handler.pipelining:  # the server now waits for b's message on that connection
            assert lane.held is not None
            assert lane.held.opened == Opened(SENDER, ("b@example.net",), None)
        else:
            assert lane.held is None
        assert (await lane.send_reply(SENDER, ["b@example.net"], BODY)).startswith("250")
        assert lane.held is None
    finally:
        lane.release()
        await pool.close()
    assert _delivered(faults) == ["a@example.net", "b@example.net"]
    assert faults.handler.sessions == 1


async def test_refusals_around_a_pipelined_end_of_data_go_to_the_right_message(
    faults: Switchable,
) -> None:
    handler = faults.handler
    assert isinstance(handler, BodyFaults)
    handler.refuse_body["a@example.net"] = "554 5.6.0 content refused"
    handler.permanent["gone@example.net"] = "550 5.1.1 gone"
    handler.temporary["busy@example.net"] = ["451 4.3.0 busy"]
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    try:
        with pytest.raises(PermanentFailure) as body:
            await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["gone@example.net"])
        assert body.value.code == 554 and "content refused" in body.value.reply
        with pytest.raises(PermanentFailure) as gone:
            await lane.send_reply(SENDER, ["gone@example.net"], BODY, then=["c@example.net"])
        assert gone.value.code == 550 and "gone" in gone.value.reply
        await lane.send_reply(SENDER, ["c@example.net"], BODY, then=["busy@example.net"])
        with pytest.raises(TemporaryFailure) as busy:
            await lane.send_reply(SENDER, ["busy@example.net"], BODY, then=["d@example.net"])
        assert busy.value.code == 451 and not isinstance(busy.value, ConnectionFailure)
        await lane.send_reply(SENDER, ["d@example.net"], BODY)
    finally:
        lane.release()
        await pool.close()
    assert _delivered(faults) == ["c@example.net", "d@example.net"]
    assert handler.rcpt_attempts["gone@example.net"] == 1
    assert handler.sessions == 1  # refused envelopes were reset with RSET, not reconnected


async def test_a_421_for_the_next_envelope_ends_the_session(faults: Switchable) -> None:
    faults.handler.temporary["b@example.net"] = ["421 4.3.2 closing"]
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    try:
        await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
        with pytest.raises(TemporaryFailure) as closing:
            await lane.send_reply(SENDER, ["b@example.net"], BODY, then=["c@example.net"])
        assert closing.value.code == 421 and lane.held is None
        await lane.send_reply(SENDER, ["c@example.net"], BODY)
    finally:
        lane.release()
        await pool.close()
    assert _delivered(faults) == ["a@example.net", "c@example.net"]
    assert faults.handler.sessions == 2  # a new session after the 421


async def test_a_connection_closed_after_an_accepted_message_keeps_its_reply(
    faults: Switchable,
) -> None:
    handler = faults.handler
    assert isinstance(handler, BodyFaults)
    handler.close_after.add("a@example.net")
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    try:
        # a was accepted: the end of file that follows (before b's replies) is not a's failure.
        reply = await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
        assert reply.startswith("250") and lane.held is None
        await asyncio.sleep(0.05)  # without PIPELINING, the end of file comes after the reply
        await lane.send_reply(SENDER, ["b@example.net"], BODY)
    finally:
        lane.release()
        await pool.close()
    assert _delivered(faults) == ["a@example.net", "b@example.net"]
    assert handler.sessions == 2


async def test_a_message_whose_server_hung_up_after_its_envelope_starts_afresh(
    faults: Switchable,
) -> None:
    handler = faults.handler
    assert isinstance(handler, BodyFaults)
    handler.hang_up_at.add("b@example.net")
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    try:
        await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
        await asyncio.sleep(0.2)
        handler.hang_up_at.clear()
        # Nothing of b's message had left: not a drop during it, just a new connection.
        await lane.send_reply(SENDER, ["b@example.net"], BODY)
    finally:
        lane.release()
        await pool.close()
    assert _delivered(faults) == ["a@example.net", "b@example.net"]
    assert handler.sessions == (2 if handler.pipelining else 1)  # plain: b's RCPT came later


async def test_a_drop_during_a_message_fails_that_message_only(faults: Switchable) -> None:
    faults.handler.drops["a@example.net"] = 1
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    try:
        with pytest.raises(ConnectionFailure) as dropped:
            await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
        assert dropped.value.during_message and lane.held is None
        await lane.send_reply(SENDER, ["b@example.net"], BODY)
    finally:
        lane.release()
        await pool.close()
    assert _delivered(faults) == ["b@example.net"]


@pytest.mark.parametrize("how", ["release", "close"])
async def test_an_announced_message_that_never_comes_is_not_delivered(
    faults: Switchable, how: str
) -> None:
    pool = SMTPPool(SMTPURL.parse(faults.url), size=1)
    lane = pool.lane()
    await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
    if how == "release":  # the engine's worker stops (pause, shutdown)
        lane.release()
        # Closed when b was announced: QUIT would be read as b's message text.
        assert (pool.connections[0].client is None) is faults.handler.pipelining
    await pool.close()
    await asyncio.sleep(0.2)
    assert _delivered(faults) == ["a@example.net"]


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
async def test_pipelined_sending_over_tls(tmp_path: Path, scheme: str) -> None:
    cert, key = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    handler = FaultySMTP(pipelining=True)
    port = free_port()
    tls: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True}
        if scheme == "smtp+starttls"
        else {"ssl_context": server_context}
    )
    controller = Controller(handler, hostname="127.0.0.1", port=port, **tls)
    controller.start()
    client_context = ssl.create_default_context(cafile=str(cert))
    pool = SMTPPool(
        SMTPURL.parse(f"{scheme}://127.0.0.1:{port}"), size=1, tls_context=client_context
    )
    lane = pool.lane()
    try:
        await lane.send_reply(SENDER, ["a@example.net"], BODY, then=["b@example.net"])
        assert lane.held is not None  # the next envelope was pipelined over TLS
        await lane.send_reply(SENDER, ["b@example.net"], BODY)
    finally:
        lane.release()
        await pool.close()
        controller.stop()
    assert [m.recipients for m in handler.messages] == [("a@example.net",), ("b@example.net",)]
    assert handler.sessions == (2 if scheme == "smtp+starttls" else 1)  # EHLO again after TLS


class _Wire(asyncio.Transport):
    """A transport that keeps what is written, for feeding a ReplyReader by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.closed = True


async def test_replies_are_parsed_across_chunks_and_continuation_lines() -> None:
    wire = _Wire()
    reader = ReplyReader(asyncio.Protocol(), wire, timeout=5)
    exchange = asyncio.ensure_future(reader.exchange(b"MAIL\r\nDATA\r\n", 2))
    await asyncio.sleep(0)
    for chunk in (b"250-first\r\n25", b"0 second\r\n354 go", b" ahead\n"):
        reader.data_received(chunk)
    assert await exchange == [SMTPResponse(250, "first\nsecond"), SMTPResponse(354, "go ahead")]
    assert wire.written == b"MAIL\r\nDATA\r\n"
    broken = asyncio.ensure_future(reader.exchange(b"RSET\r\n", 1))
    await asyncio.sleep(0)
    reader.data_received(b"hello\r\n")
    with pytest.raises(SMTPResponseException, match="Malformed"):
        await broken
    assert wire.closed and not reader.usable


def test_envelopes_carry_a_labels_and_smtputf8_only_when_offered() -> None:
    assert envelope("news@bücher.example", ["erin@bücher.example"], smtputf8=False) == (
        b"MAIL FROM:<news@xn--bcher-kva.example>\r\n"
        b"RCPT TO:<erin@xn--bcher-kva.example>\r\nDATA\r\n"
    )
    assert envelope("news@example.org", ["josé@bücher.example"], smtputf8=True) == (
        b"MAIL FROM:<news@example.org> SMTPUTF8\r\n"
        b"RCPT TO:<jos\xc3\xa9@xn--bcher-kva.example>\r\nDATA\r\n"
    )
    with pytest.raises(PermanentFailure) as refused:
        envelope("news@example.org", ["josé@example.org"], smtputf8=False)
    assert refused.value.reply == SMTPUTF8_REFUSAL
    with pytest.raises(PermanentFailure, match="control character"):
        envelope("news@example.org", ["a@example.org>\r\nRCPT TO:<b@example.org"], smtputf8=True)
