"""Bytes on the wire: the DATA payload, envelopes, and a protocol that reads pipelined replies.

aiosmtplib opens each pooled connection (TCP, implicit TLS or STARTTLS, EHLO,
AUTH). Then :class:`ReplyReader` takes its transport over with
``transport.set_protocol`` (public asyncio API, honoured by uvloop and by TLS
transports alike) and carries the transactions: aiosmtplib's protocol parses one
reply per awaited read and drops bytes that arrive while none is pending, so it
cannot read the several replies a pipelined write gets back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import cast

import aiosmtplib
from aiosmtplib.protocol import normalize_message_line_endings
from aiosmtplib.response import SMTPResponse

from linked.transport import Envelope

#: Longest reply line and longest unparsed input accepted (aiosmtplib's limits).
MAX_LINE = 8192
MAX_PENDING = 4 * MAX_LINE


def wire_form(message: bytes, *, prepared: bool = False, then: bytes = b"") -> bytes:
    """The DATA payload: CRLF line endings, leading dots doubled, ending in ``.CRLF``.

    ``prepared=True`` promises what :meth:`PreparedMessage.render` guarantees: every
    line ends in CRLF and none starts with a dot, so the message goes out as it is.
    Otherwise this is done with ``bytes`` methods (C speed) rather than aiosmtplib's
    regular expressions, which cost more than the rest of a message's sending.
    ``then`` (commands pipelined behind the end of data) is appended in the same copy.
    """
    if prepared:
        return b"".join((message, b".\r\n", then))
    endings = message.count(b"\r\n")
    if message.count(b"\n") != endings or message.count(b"\r") != endings:
        message = normalize_message_line_endings(message)
    if message.startswith(b".") or b"\r\n." in message:
        message = (b"\r\n" + message).replace(b"\r\n.", b"\r\n..")[2:]
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return b"".join((message, b".\r\n", then))


def envelope(sender: str, recipients: Sequence[str], *, smtputf8: bool) -> bytes:
    """``MAIL FROM``, one ``RCPT TO`` per recipient and ``DATA``, CRLF after each.

    Domains go out as IDNA A-labels (:mod:`linked.idn`). A non-ASCII local part needs
    the server's SMTPUTF8 (``smtputf8``); without it, or for an address that cannot
    be put on the wire at all (a control character would inject commands), this
    raises :class:`PermanentFailure` saying why: that message fails, the connection
    is untouched (nothing was written).
    """
    wired = Envelope.of(sender, recipients)
    encoding = "utf-8" if wired.require(smtputf8) else "ascii"
    mail = b"MAIL FROM:<" + wired.sender.encode(encoding) + b">"
    if encoding == "utf-8":
        mail += b" SMTPUTF8"
    rcpts = [b"RCPT TO:<" + a.encode(encoding) + b">" for a in wired.recipients]
    return b"\r\n".join([mail, *rcpts, b"DATA", b""])


class ReplyReader(asyncio.Protocol):
    """The protocol of a connection once greeted: writes, then waits for N replies.

    A connection that drops, ends or sends a malformed reply fails the pending
    :meth:`exchange` with an aiosmtplib error, and every later one. A watchdog
    checks every ``timeout`` seconds, one timer per connection rather than one per
    command: an exchange that received nothing since the previous check times out
    and the connection is aborted (so a stalled server is noticed within
    ``timeout`` to ``2 × timeout``).
    """

    def __init__(
        self, inner: asyncio.BaseProtocol, transport: asyncio.Transport, *, timeout: float
    ) -> None:
        self.inner = inner
        self.transport = transport
        self.timeout = timeout
        self.error: aiosmtplib.SMTPException | None = None
        self._buffer = bytearray()
        self._lines: list[str] = []  # a multi-line reply's lines so far
        self._replies: list[SMTPResponse] = []
        self._wanted = 0
        self._waiter: asyncio.Future[None] | None = None
        self._stirred = False
        self._loop = asyncio.get_running_loop()
        self._watchdog = self._loop.call_later(timeout, self._check)

    @classmethod
    def take_over(cls, client: aiosmtplib.SMTP, *, timeout: float) -> ReplyReader:
        """Become the protocol of ``client``'s connection (connected and greeted)."""
        protocol = client.protocol
        transport = protocol.transport if protocol is not None else None
        if protocol is None or transport is None or transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("connection lost after the greeting")
        reader = cls(protocol, cast(asyncio.Transport, transport), timeout=timeout)
        transport.set_protocol(reader)
        return reader

    @property
    def usable(self) -> bool:
        return self.error is None and not self.transport.is_closing()

    async def exchange(self, data: bytes, count: int, *, at_least: int = -1) -> list[SMTPResponse]:
        """Write ``data`` and return the next ``count`` replies, in order.

        When the connection fails after at least ``at_least`` replies arrived, return
        those instead of raising: a pipelined message's reply is worth keeping even
        if the connection drops before the replies to the commands behind it.
        """
        if self.error is not None:
            raise self.error
        if self.transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self._wanted = count
        waiter = self._waiter = self._loop.create_future()
        self._stirred = True
        self.transport.write(data)
        try:
            await waiter
        except aiosmtplib.SMTPException:
            if at_least < 0 or len(self._replies) < at_least:
                raise
        finally:
            self._waiter = None
        replies, self._replies = self._replies[:count], []
        return replies

    def close(self) -> None:
        """Close the connection (a server in the middle of DATA drops what it got)."""
        self._fail(aiosmtplib.SMTPServerDisconnected("connection closed"))
        self.transport.close()

    # asyncio.Protocol --------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # nothing was asked: unsolicited bytes are dropped, as aiosmtplib does
        self._stirred = True
        buffer = self._buffer
        buffer += data
        end = buffer.rfind(b"\n") + 1
        if end:
            complete = bytes(buffer[:end])
            del buffer[:end]
            try:
                for line in complete.split(b"\n")[:-1]:
                    self._parse(line)
            except aiosmtplib.SMTPResponseException as exc:
                self._fail(exc)
                self.transport.abort()
                return
        if len(self._replies) >= self._wanted:
            buffer.clear()  # anything more was not asked for
            self._lines = []
            waiter.set_result(None)
        elif len(buffer) > MAX_PENDING:
            self._fail(aiosmtplib.SMTPResponseException(-1, "Response too long"))
            self.transport.abort()

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        error = aiosmtplib.SMTPServerDisconnected("Connection lost")
        error.__cause__ = exc
        self._fail(error)
        self._watchdog.cancel()
        self.inner.connection_lost(exc)  # aiosmtplib's client marks itself disconnected

    # Internals ---------------------------------------------------------------

    def _parse(self, line: bytes) -> None:
        """Take one reply line; a reply is complete at a line without ``-`` after its code."""
        if len(line) > MAX_LINE:
            raise aiosmtplib.SMTPResponseException(-1, "Response too long")
        try:
            code = int(line[:3])
        except ValueError:
            text = line.decode("utf-8", "ignore")
            raise aiosmtplib.SMTPResponseException(
                -1, f"Malformed SMTP response line: {text}"
            ) from None
        self._lines.append(line[4:].strip(b" \t\r").decode("utf-8", "surrogateescape"))
        if line[3:4] != b"-":
            self._replies.append(SMTPResponse(code, "\n".join(self._lines)))
            self._lines = []

    def _fail(self, error: aiosmtplib.SMTPException) -> None:
        if self.error is None:
            self.error = error
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(self.error)

    def _check(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done() and not self._stirred:
            self._fail(aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"))
            self.transport.abort()
            return
        self._stirred = False
        self._watchdog = self._loop.call_later(self.timeout, self._check)
