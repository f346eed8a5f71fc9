"""The transport interface and its errors, plus an in-memory transport for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from linked.errors import LinkedError


class TransportError(Exception):
    """A message was not accepted. ``code`` is the SMTP reply code where there is one."""

    permanent = False

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reply = message


class TemporaryFailure(TransportError):
    """Try again later: a 4xx reply, a dropped connection, a server that is down."""


class PermanentFailure(TransportError):
    """Do not try again: a 5xx reply such as an unknown mailbox."""

    permanent = True


class Throttled(TemporaryFailure):
    """The relay limits how fast it takes mail (a 4.7.x reply such as ``450 4.7.1 too much
    mail``): the whole send slows down; the message is not at fault."""


class SessionRefused(LinkedError):
    """The relay refused the session itself (authentication, TLS trust): no message can go.

    Not a :class:`TransportError`: it is never a message's failure. ``str()`` is the
    message for the operator, naming the setting to change.
    """


class Transport(Protocol):
    """Send message bytes to envelope recipients. Implementations may pool connections."""

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Deliver one message or raise :class:`TransportError`."""
        ...

    async def close(self) -> None:
        """Release connections; the transport is not used afterwards."""
        ...


@dataclass(frozen=True)
class SentMessage:
    sender: str
    recipients: tuple[str, ...]
    message: bytes


@dataclass
class MemoryTransport:
    """Keeps messages in a list. For unit tests of composition only, never proof of sending."""

    sent: list[SentMessage] = field(default_factory=list)

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        self.sent.append(SentMessage(sender, tuple(recipients), message))

    async def close(self) -> None:
        return None
