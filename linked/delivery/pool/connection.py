"""One pooled SMTP session: connect lazily, send transactions, chain the next envelope.

When the server advertises PIPELINING (RFC 2920), a message costs one write and one
read: its body and end of data go out followed by the next message's MAIL, RCPT and
DATA (``then``), and the replies come back together — the message's own, then the
next envelope's. The server holds that next transaction open (it answered 354, or
refused the envelope, which is kept for the next call to raise), so the next
:meth:`PooledConnection.send` must be for exactly that envelope; anything else, or
:meth:`~PooledConnection.abandon`, closes the connection, which makes the server
drop the open transaction: nothing is delivered without its body.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiosmtplib
from aiosmtplib.response import SMTPResponse

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.pool.concurrency import Concurrency
from linked.delivery.pool.wire import ReplyReader, envelope, wire_form
from linked.transport import SMTPURL, SessionRefused, TemporaryFailure, TransportError
from linked.transport.session import session_refused
from linked.transport.smtp import classify

#: Errors that mean the connection itself is gone, not that a message was refused.
_CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPConnectTimeoutError,
    OSError,
)


class ConnectionFailure(TemporaryFailure):
    """The server could not be reached or the connection dropped; no reply about the message.

    ``during_message`` is true when the connection dropped while a message was being sent;
    ``limited`` when the relay refused a connection while others worked (the pool's
    concurrency was lowered: not an outage).
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        *,
        during_message: bool,
        limited: bool = False,
    ) -> None:
        super().__init__(message, code)
        self.during_message = during_message
        self.limited = limited


@dataclass
class Shared:
    """What every connection of one pool shares.

    ``refused`` latches the first session-level refusal: after it no connection tries
    again (a wrong password must not be tried once per connection). Until one
    connection has opened (``proven``), connections open one at a time, so a refusal
    costs one login, not one per connection.
    """

    breaker: CircuitBreaker
    concurrency: Concurrency
    working: Callable[[], int] = lambda: 0
    changed: Callable[[], None] = lambda: None
    refused: SessionRefused | None = None
    proven: bool = False
    first: asyncio.Lock = field(default_factory=asyncio.Lock)


def _limit_reply(exc: BaseException) -> bool:
    """A refusal that a busy relay gives a client over its connection limit: a 4xx
    greeting, or the TCP connection refused."""
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return 400 <= exc.code < 500
    cause = exc.__cause__
    return isinstance(exc, ConnectionRefusedError) or isinstance(cause, ConnectionRefusedError)


@dataclass(frozen=True)
class Opened:
    """An envelope sent behind the previous end of data, and the server's answer to it.

    ``error`` is None when the server answered 354 and waits for the message; else
    it is the refusal to raise when that message's turn comes.
    """

    sender: str
    recipients: tuple[str, ...]
    error: aiosmtplib.SMTPException | None


def envelope_error(
    replies: Sequence[SMTPResponse], sender: str, recipients: Sequence[str]
) -> aiosmtplib.SMTPException | None:
    """The first refusal among the replies to MAIL, RCPT… and DATA, or None.

    ``replies`` may stop at the first refusal (a server without PIPELINING).
    """
    for index, reply in enumerate(replies):
        if index == 0:
            if reply.code != 250:
                return aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
        elif index <= len(recipients):
            if reply.code not in (250, 251):
                return aiosmtplib.SMTPRecipientRefused(
                    reply.code, reply.message, recipients[index - 1]
                )
        elif reply.code != 354:
            return aiosmtplib.SMTPDataError(reply.code, reply.message)
    return None


class PooledConnection:
    """One SMTP session that reconnects when needed and counts what it carried."""

    def __init__(
        self,
        url: SMTPURL,
        shared: Shared,
        *,
        max_messages: int,
        timeout: float,
        tls_context: ssl.SSLContext | None,
        helo_name: str | None = None,
    ) -> None:
        self.url = url
        self.shared = shared
        self.breaker = shared.breaker
        self.max_messages = max_messages
        self.timeout = timeout
        self.tls_context = tls_context
        self.helo_name = helo_name
        self.client: aiosmtplib.SMTP | None = None
        self.reader: ReplyReader | None = None
        self.pipelining = False
        self.smtputf8 = False
        #: The next transaction, opened behind the last message (see the module docstring).
        self.opened: Opened | None = None
        self.carried = 0
        self.connects = 0

    async def _connect(self) -> ReplyReader:
        if self.reader is not None and self.reader.usable:
            if self.carried < self.max_messages:
                return self.reader
            await self.close()
        self._drop()
        shared = self.shared
        if shared.refused is not None:
            raise shared.refused
        await self.breaker.wait()
        if shared.proven:
            return await self._open()
        async with shared.first:  # until one connection works, one tries at a time
            if shared.refused is not None:
                raise shared.refused
            reader = await self._open()
            shared.proven = True
            return reader

    async def _open(self) -> ReplyReader:
        """Connect, greet, STARTTLS and AUTH as the URL asks, then take the connection over."""
        shared = self.shared
        client = self.url.client(
            timeout=self.timeout, tls_context=self.tls_context, helo_name=self.helo_name
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # connect() only greets when TLS asks
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
            await self.url.login(client)
            reader = ReplyReader.take_over(client, timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            if (refused := session_refused(exc, self.url)) is not None:
                shared.refused = refused  # no connection of this pool tries again
                raise refused from exc
            failure = classify(exc)
            if _limit_reply(exc) and shared.concurrency.refused(shared.working(), failure.reply):
                shared.changed()
                raise ConnectionFailure(
                    failure.reply, failure.code, during_message=False, limited=True
                ) from exc
            self.breaker.trip(failure.reply)
            raise ConnectionFailure(failure.reply, failure.code, during_message=False) from exc
        self.breaker.reset()
        self.client, self.reader = client, reader
        self.pipelining = client.supports_extension("pipelining")
        self.smtputf8 = client.supports_extension("smtputf8")
        self.carried = 0
        self.connects += 1
        return reader

    async def send(
        self,
        sender: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        prepared: bool = False,
        then: Sequence[str] | None = None,
        then_sender: str | None = None,
    ) -> str:
        """Send one message; return the server's final reply, or raise a TransportError.

        ``then`` names the recipients of the next message (sent by ``then_sender``,
        default this message's sender, which differs per message with VERP) when the
        caller will send it next on this connection: its envelope follows this
        message's end of data (see the module docstring). ``prepared``: see
        :func:`wire_form`.
        """
        opened, self.opened = self.opened, None
        if opened is not None and (
            (opened.sender, opened.recipients) != (sender, tuple(recipients))
            or (opened.error is None and not (self.reader and self.reader.usable))
        ):
            # Not the message the server waits for, or the server hung up meanwhile:
            # nothing of it left, so it starts afresh on a new connection.
            self._drop()
            opened = None
        try:
            if opened is not None and opened.error is not None:
                await self._reset()
                raise opened.error
            reader = self.reader if opened is not None else await self._connect()
            if reader is None:  # cannot happen: an opened envelope keeps its reader
                raise aiosmtplib.SMTPServerDisconnected("connection lost")
            reply = await self._transaction(
                reader,
                sender,
                recipients,
                message,
                prepared,
                then,
                opened is not None,
                then_sender or sender,
            )
        except _CONNECTION_ERRORS as exc:
            self._drop()
            failure = classify(exc)
            raise ConnectionFailure(failure.reply, failure.code, during_message=True) from exc
        except aiosmtplib.SMTPException as exc:
            failure = classify(exc)
            if failure.code == 421:  # the server is closing this session
                self._drop()
            if failure.code == 530:  # "authentication required" / "must issue STARTTLS"
                self._drop()
                self.shared.refused = SessionRefused(
                    f"the SMTP server requires authentication or TLS ({failure.reply}): add the "
                    "user name and password to LINKED_SMTP_URL, or use smtp+starttls://"
                )
                raise self.shared.refused from exc
            raise failure from exc
        except asyncio.CancelledError:
            self._drop()  # whatever was on the wire, the session's state is unknown
            raise
        except TransportError:
            raise  # an address refused before anything was written: the session is clean
        except Exception:
            self._drop()  # a fault of ours mid-transaction: the session's state is unknown
            raise
        self.carried += 1
        if self.shared.concurrency.accepted():
            self.shared.changed()
        return reply

    async def _transaction(
        self,
        reader: ReplyReader,
        sender: str,
        recipients: Sequence[str],
        message: bytes,
        prepared: bool,
        then: Sequence[str] | None,
        opened: bool,
        then_sender: str,
    ) -> str:
        """MAIL, RCPT and DATA (unless ``opened`` already), then the message.

        Every recipient accepted or nothing sent; after a refused envelope the
        session is reset with RSET (after a refused message it needs none: RFC 5321
        clears the transaction at the end of data, whatever the reply).
        """
        if not opened:
            commands = envelope(sender, recipients, smtputf8=self.smtputf8)
            if self.pipelining:
                replies = await reader.exchange(commands, len(recipients) + 2)
            else:
                replies = []
                for command in commands.split(b"\r\n")[:-1]:
                    replies += await reader.exchange(command + b"\r\n", 1)
                    if replies[-1].code >= 400:  # stop at the first refusal
                        break
            if (error := envelope_error(replies, sender, recipients)) is not None:
                if replies[-1].code == 354:
                    # The server opened DATA although something before it was refused: close
                    # the connection rather than send a message to only some recipients.
                    self._drop()
                else:
                    await self._reset()
                raise error
        following = self._chain(then_sender, then)
        payload = wire_form(message, prepared=prepared, then=following or b"")
        if following is None or then is None:
            replies = await reader.exchange(payload, 1)
        else:
            count = 1 + len(then) + 2
            replies = await reader.exchange(payload, count, at_least=1)
            if len(replies) < count:
                self._drop()  # dropped after this message's reply: the next starts afresh
            else:
                error = envelope_error(replies[1:], then_sender, then)
                if error is not None and (
                    replies[-1].code == 354  # as above: never a message to only some recipients
                    or getattr(error, "code", None) == 421  # the server is closing this session
                ):
                    self._drop()
                self.opened = Opened(then_sender, tuple(then), error)
        response = replies[0]
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        return f"{response.code} {response.message}"

    def _chain(self, sender: str, then: Sequence[str] | None) -> bytes | None:
        """The next envelope's commands, if it can follow this message on this connection."""
        if not then or not self.pipelining or self.carried + 2 > self.max_messages:
            return None
        try:
            return envelope(sender, then, smtputf8=self.smtputf8)
        except (ValueError, aiosmtplib.SMTPException, TransportError):
            return None  # it will fail on its own turn

    def abandon(self) -> None:
        """The message whose envelope is open will not come: close the connection."""
        if self.opened is not None:
            self._drop()

    def _drop(self) -> None:
        self.opened = None
        reader, self.reader = self.reader, None
        client, self.client = self.client, None
        if reader is not None:
            reader.close()
        if client is not None:
            client.close()

    async def _reset(self) -> None:
        """RSET after a refused envelope, so the session can carry the next message."""
        if self.reader is None:
            return
        try:
            (reply,) = await self.reader.exchange(b"RSET\r\n", 1)
        except (aiosmtplib.SMTPException, OSError):
            self._drop()
            return
        if reply.code != 250:
            self._drop()

    async def close(self) -> None:
        """QUIT and close; only close while the server waits for a message (QUIT would be text)."""
        reader = self.reader
        waiting = self.opened is not None and self.opened.error is None
        if reader is not None and reader.usable and not waiting:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await reader.exchange(b"QUIT\r\n", 1)
        self._drop()
