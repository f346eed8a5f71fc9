"""A pool of long-lived SMTP connections (aiosmtplib) that is itself a :class:`Transport`.

Each connection is opened lazily, with STARTTLS, implicit TLS and AUTH as
``LINKED_SMTP_URL`` asks, carries up to ``max_per_connection`` messages and is
then closed with QUIT and reopened (some relays answer 421 to long sessions).
After a refused envelope the connection is reset with RSET so it can carry the
next message; an accepted or refused message needs none (RFC 5321: the end of
DATA clears the transaction). When the server advertises PIPELINING (RFC 2920),
MAIL, RCPT and DATA go out in one write and their replies are read together,
and a :class:`Lane` (one per engine worker) sends each message's envelope right
behind the previous message's end of data: one write and one read per message
(:mod:`linked.delivery.pool.connection`). A refused connection or one that drops
mid-message raises :class:`ConnectionFailure` and trips the shared
:class:`CircuitBreaker`, so the engine can retry the row without charging it an
attempt.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.pool.connection import ConnectionFailure, PooledConnection
from linked.delivery.pool.wire import wire_form
from linked.transport import SMTPURL, TransportError


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
        self, sender: str, recipients: Sequence[str], message: bytes, *, prepared: bool = False
    ) -> str:
        """Send on the next free connection and return the server's reply."""
        connection = await self._idle.get()
        try:
            return await connection.send(sender, recipients, message, prepared=prepared)
        finally:
            self._idle.put_nowait(connection)

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        await self.send_reply(sender, recipients, message)

    def lane(self) -> Lane:
        """A way through the pool for one sender that says which message comes next."""
        return Lane(self)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.connections))


class Lane:
    """One sender's way through the pool (the engine gives each worker one).

    :meth:`send_reply` takes ``then``, the recipients of the caller's next message:
    its envelope follows this message's end of data, and the lane keeps that
    connection for it instead of handing it back. :meth:`release` when done.
    """

    def __init__(self, pool: SMTPPool) -> None:
        self.pool = pool
        self.held: PooledConnection | None = None

    async def send_reply(
        self,
        sender: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        prepared: bool = False,
        then: Sequence[str] | None = None,
        then_sender: str | None = None,
    ) -> str:
        connection, self.held = self.held, None
        if connection is None:
            connection = await self.pool._idle.get()
        try:
            return await connection.send(
                sender, recipients, message, prepared=prepared, then=then, then_sender=then_sender
            )
        finally:
            if connection.opened is not None:
                self.held = connection
            else:
                self.pool._idle.put_nowait(connection)

    def release(self) -> None:
        """Give back a held connection, closing it if a message was announced on it."""
        connection, self.held = self.held, None
        if connection is not None:
            connection.abandon()
            self.pool._idle.put_nowait(connection)


__all__ = [
    "ConnectionFailure",
    "Lane",
    "PooledConnection",
    "SMTPPool",
    "TransportError",
    "wire_form",
]
