"""A pool of long-lived SMTP connections (aiosmtplib) that is itself a :class:`Transport`.

Each connection is opened lazily, with STARTTLS, implicit TLS and AUTH as
``LINKED_SMTP_URL`` asks, carries up to ``max_per_connection`` messages and is
then closed with QUIT and reopened (some relays answer 421 to long sessions).
After a refused message the connection is reset with RSET so it can carry the
next one; an accepted message needs no RSET (RFC 5321: the end of DATA clears the
transaction). When the server advertises PIPELINING (RFC 2920), MAIL, RCPT and
DATA go out in one write and their replies are read together: two round trips per
message instead of four. A refused connection or one that drops mid-message raises
:class:`ConnectionFailure` and trips the shared :class:`CircuitBreaker`, so the
engine can retry the row without charging it an attempt.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence

import aiosmtplib
from aiosmtplib.protocol import SMTPProtocol, normalize_message_line_endings
from aiosmtplib.response import SMTPResponse

from linked.delivery.breaker import CircuitBreaker
from linked.transport import SMTPURL, TemporaryFailure, TransportError
from linked.transport.smtp import classify

#: Errors that mean the connection itself is gone, not that a message was refused.
_CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPConnectTimeoutError,
    OSError,
)


def wire_form(message: bytes, *, crlf: bool = False) -> bytes:
    """The DATA payload: CRLF line endings, leading dots doubled, ending in ``.CRLF``.

    ``crlf=True`` promises every line already ends in CRLF (as
    :meth:`PreparedMessage.render` guarantees), skipping the check.

    Done with ``bytes`` methods (C speed) rather than aiosmtplib's regular
    expressions, which cost more than the rest of a message's sending put together.
    """
    if not crlf:
        endings = message.count(b"\r\n")
        if message.count(b"\n") != endings or message.count(b"\r") != endings:
            message = normalize_message_line_endings(message)
    if message.startswith(b".") or b"\r\n." in message:
        message = (b"\r\n" + message).replace(b"\r\n.", b"\r\n..")[2:]
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message + b".\r\n"


async def read_replies(protocol: SMTPProtocol, commands: bytes, count: int) -> list[SMTPResponse]:
    """Write pipelined ``commands`` and return their ``count`` replies, in order.

    aiosmtplib's protocol parses one reply per awaited read and drops bytes that
    arrive while no read is pending, so pipelined replies would be lost. For the
    length of this call the protocol's ``data_received`` is replaced by one that
    collects every reply and resolves the protocol's own waiter once all are in:
    a dropped connection, EOF or malformed reply still raise as they would
    for a single command. Relies on aiosmtplib internals (``_buffer``,
    ``_response_waiter``, ``_read_response_from_buffer``; pinned 5.1.x, covered by
    ``tests/test_delivery_pool.py``).
    """
    waiter = protocol._response_waiter
    if waiter is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    replies: list[SMTPResponse] = []
    buffer = protocol._buffer

    def received(data: bytes) -> None:
        if waiter.done():
            return
        buffer.extend(data)
        try:
            while len(replies) < count:
                reply = protocol._read_response_from_buffer()
                if reply is None:
                    break
                replies.append(reply)
        except Exception as exc:  # a malformed or over-long reply
            waiter.set_exception(exc)
            waiter.exception()
            return
        if len(replies) == count:
            waiter.set_result(replies[-1])

    protocol.data_received = received  # type: ignore[method-assign]
    try:
        protocol.write(commands)
        await protocol.read_response(timeout=None)
    finally:
        del protocol.data_received
    return replies


class ConnectionFailure(TemporaryFailure):
    """The server could not be reached or the connection dropped; no reply about the message.

    ``during_message`` is true when the connection dropped while a message was being sent.
    """

    def __init__(self, message: str, code: int | None = None, *, during_message: bool) -> None:
        super().__init__(message, code)
        self.during_message = during_message


class PooledConnection:
    """One SMTP session that reconnects when needed and counts what it carried."""

    def __init__(
        self,
        url: SMTPURL,
        breaker: CircuitBreaker,
        *,
        max_messages: int,
        timeout: float,
        tls_context: ssl.SSLContext | None,
    ) -> None:
        self.url = url
        self.breaker = breaker
        self.max_messages = max_messages
        self.timeout = timeout
        self.tls_context = tls_context
        self.client: aiosmtplib.SMTP | None = None
        self.carried = 0
        self.connects = 0

    async def _connect(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            if self.carried < self.max_messages:
                return self.client
            await self.close()
        await self.breaker.wait()
        client = self.url.client(timeout=self.timeout, tls_context=self.tls_context)
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # connect() only greets when TLS or AUTH asks
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except (aiosmtplib.SMTPException, OSError) as exc:
            failure = classify(exc)
            if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                raise failure from exc  # a wrong password will not fix itself by waiting
            self.breaker.trip(failure.reply)
            raise ConnectionFailure(failure.reply, failure.code, during_message=False) from exc
        self.breaker.reset()
        self.client = client
        self.carried = 0
        self.connects += 1
        return client

    async def send(
        self, sender: str, recipients: Sequence[str], message: bytes, *, crlf: bool = False
    ) -> str:
        """Send one message; return the server's final reply, or raise a TransportError."""
        client = await self._connect()
        try:
            reply = await self._transaction(client, sender, recipients, message, crlf)
        except _CONNECTION_ERRORS as exc:
            self._drop(client)
            failure = classify(exc)
            raise ConnectionFailure(failure.reply, failure.code, during_message=True) from exc
        except aiosmtplib.SMTPException as exc:
            failure = classify(exc)
            if failure.code == 421:  # the server is closing this session
                self._drop(client)
            else:
                await self._reset(client)
            raise failure from exc
        self.carried += 1
        return reply

    async def _transaction(
        self,
        client: aiosmtplib.SMTP,
        sender: str,
        recipients: Sequence[str],
        message: bytes,
        crlf: bool,
    ) -> str:
        """MAIL, RCPT and DATA for one message, every recipient accepted or none sent.

        Uses aiosmtplib's public command API with the envelope already quoted and the
        message already in wire form; addresses that need SMTPUTF8 go through
        ``sendmail``.
        """
        try:
            sender_bytes = sender.encode("ascii")
            recipient_bytes = [r.encode("ascii") for r in recipients]
        except UnicodeEncodeError:
            _refused, reply = await client.sendmail(sender, list(recipients), message)
            return reply
        # One deadline for the whole transaction: cheaper than a timer per command.
        async with asyncio.timeout(self.timeout * 2):
            if client.supports_extension("pipelining"):
                return await self._pipelined(
                    client, sender, recipients, sender_bytes, recipient_bytes, message, crlf
                )
            response = await client.execute_command(
                b"MAIL", b"FROM:<" + sender_bytes + b">", timeout=None
            )
            if response.code != 250:
                raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
            for recipient, address in zip(recipients, recipient_bytes, strict=True):
                response = await client.execute_command(
                    b"RCPT", b"TO:<" + address + b">", timeout=None
                )
                if response.code not in (250, 251):
                    raise aiosmtplib.SMTPRecipientRefused(
                        response.code, response.message, recipient
                    )
            response = await client.execute_command(b"DATA", timeout=None)
            if response.code != 354:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
            protocol = client.protocol
            if protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("connection lost before the message")
            protocol.write(wire_form(message, crlf=crlf))
            response = await protocol.read_response(timeout=None)
            if response.code != 250:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
        return f"{response.code} {response.message}"

    async def _pipelined(
        self,
        client: aiosmtplib.SMTP,
        sender: str,
        recipients: Sequence[str],
        sender_bytes: bytes,
        recipient_bytes: list[bytes],
        message: bytes,
        crlf: bool,
    ) -> str:
        """The transaction with MAIL, RCPT… and DATA in one write (RFC 2920)."""
        if any(b"\r" in a or b"\n" in a for a in (sender_bytes, *recipient_bytes)):
            raise ValueError("an address contains a line break")
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost before the message")
        commands = b"MAIL FROM:<" + sender_bytes + b">\r\n"
        for address in recipient_bytes:
            commands += b"RCPT TO:<" + address + b">\r\n"
        commands += b"DATA\r\n"
        mail, *rcpts, data = await read_replies(protocol, commands, len(recipient_bytes) + 2)
        error: aiosmtplib.SMTPException | None = None
        if mail.code != 250:
            error = aiosmtplib.SMTPSenderRefused(mail.code, mail.message, sender)
        else:
            for recipient, response in zip(recipients, rcpts, strict=True):
                if response.code not in (250, 251):
                    error = aiosmtplib.SMTPRecipientRefused(
                        response.code, response.message, recipient
                    )
                    break
        if error is None and data.code != 354:
            error = aiosmtplib.SMTPDataError(data.code, data.message)
        if error is not None:
            if data.code == 354:
                # The server opened DATA although something before it was refused: close
                # the connection rather than send a message to only some recipients.
                self._drop(client)
            raise error
        protocol.write(wire_form(message, crlf=crlf))
        response = await protocol.read_response(timeout=None)
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        return f"{response.code} {response.message}"

    def _drop(self, client: aiosmtplib.SMTP) -> None:
        client.close()
        self.client = None

    async def _reset(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._drop(client)

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


class SMTPPool:
    """``size`` connections shared by any number of senders; ``send`` waits for a free one."""

    def __init__(
        self,
        url: SMTPURL,
        *,
        size: int = 10,
        max_per_connection: int = 100,
        breaker: CircuitBreaker | None = None,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.breaker = breaker or CircuitBreaker()
        self.connections = [
            PooledConnection(
                url,
                self.breaker,
                max_messages=max_per_connection,
                timeout=timeout,
                tls_context=tls_context,
            )
            for _ in range(size)
        ]
        self._idle: asyncio.Queue[PooledConnection] = asyncio.Queue()
        for connection in self.connections:
            self._idle.put_nowait(connection)

    @property
    def size(self) -> int:
        return len(self.connections)

    async def send_reply(
        self, sender: str, recipients: Sequence[str], message: bytes, *, crlf: bool = False
    ) -> str:
        """Send on the next free connection and return the server's reply."""
        connection = await self._idle.get()
        try:
            return await connection.send(sender, recipients, message, crlf=crlf)
        finally:
            self._idle.put_nowait(connection)

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        await self.send_reply(sender, recipients, message)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.connections))


__all__ = ["ConnectionFailure", "SMTPPool", "TransportError"]
