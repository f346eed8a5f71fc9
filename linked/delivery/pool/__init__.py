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
attempt. A connection refused while others work lowers the pool's
:class:`Concurrency` instead (a relay's connection limit, not an outage). A
session-level refusal (:class:`~linked.transport.SessionRefused`: wrong password,
untrusted certificate) is latched: no connection of the pool tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence

from linked.delivery.breaker import CircuitBreaker
from linked.delivery.pool.concurrency import Concurrency
from linked.delivery.pool.connection import ConnectionFailure, PooledConnection, Shared
from linked.delivery.pool.wire import wire_form
from linked.transport import SMTPURL, Transport, TransportError


class SMTPPool(Transport):
    """``size`` connections shared by any number of senders; ``send`` waits for a free one."""

    breaker: CircuitBreaker

    def __init__(
        self,
        url: SMTPURL,
        *,
        size: int = 10,
        max_per_connection: int = 100,
        breaker: CircuitBreaker | None = None,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        helo_name: str | None = None,
    ) -> None:
        self.url = url
        self.breaker = breaker or CircuitBreaker()
        self.concurrency = Concurrency(size)
        self.shared = Shared(
            self.breaker, self.concurrency, working=self._working, changed=self._wake
        )
        self.connections = [
            PooledConnection(
                url,
                self.shared,
                max_messages=max_per_connection,
                timeout=timeout,
                tls_context=tls_context,
                helo_name=helo_name,
            )
            for _ in range(size)
        ]
        self._idle: list[PooledConnection] = list(self.connections)
        self._in_use = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def size(self) -> int:
        return len(self.connections)

    def describe(self) -> str:
        """The concurrency in use and why (progress, ``linked status``); "" at full size."""
        described = self.concurrency.describe()
        return "" if described == f"{self.size} connections" else described

    def _working(self) -> int:
        return sum(1 for c in self.connections if c.reader is not None and c.reader.usable)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def take(self) -> PooledConnection:
        """A free connection, once fewer than the concurrency limit are in use; an open one
        first, so the pool does not open more connections than it uses. :meth:`give` it back."""
        while self._in_use >= self.concurrency.limit or not self._idle:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        self._idle.sort(key=lambda c: c.reader is not None and c.reader.usable)
        self._in_use += 1
        return self._idle.pop()

    def give(self, connection: PooledConnection) -> None:
        """Take a connection back; close it when more are open than the limit allows."""
        self._in_use -= 1
        if connection.opened is None and self._working() > self.concurrency.limit:
            task = asyncio.get_running_loop().create_task(self._retire(connection))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        else:
            self._idle.append(connection)
        self._wake()

    async def _retire(self, connection: PooledConnection) -> None:
        """QUIT one connection over the limit, then make it available (closed) again."""
        try:
            await connection.close()
        finally:
            self._idle.append(connection)
            self._wake()

    async def send_reply(
        self, sender: str, recipients: Sequence[str], message: bytes, *, prepared: bool = False
    ) -> str:
        """Send on the next free connection and return the server's reply."""
        connection = await self.take()
        try:
            return await connection.send(sender, recipients, message, prepared=prepared)
        finally:
            self.give(connection)

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        await self.send_reply(sender, recipients, message)

    def lane(self) -> Lane:
        """A way through the pool for one sender that says which message comes next."""
        return Lane(self)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._closing, return_exceptions=True)
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
            connection = await self.pool.take()
        try:
            return await connection.send(
                sender, recipients, message, prepared=prepared, then=then, then_sender=then_sender
            )
        finally:
            if connection.opened is not None:
                self.held = connection
            else:
                self.pool.give(connection)

    def release(self) -> None:
        """Give back a held connection, closing it if a message was announced on it."""
        connection, self.held = self.held, None
        if connection is not None:
            connection.abandon()
            self.pool.give(connection)


__all__ = [
    "Concurrency",
    "ConnectionFailure",
    "Lane",
    "PooledConnection",
    "SMTPPool",
    "TransportError",
    "wire_form",
]
