"""The transport interface and its errors, plus an in-memory transport for unit tests."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, Self

from linked.errors import LinkedError
from linked.idn import SMTPUTF8_REFUSAL, UnmailableAddress, wire_address


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


@dataclass(frozen=True)
class Envelope:
    """A sender and recipients as they go on the wire (domains as A-labels, see linked.idn)."""

    sender: str
    recipients: tuple[str, ...]
    #: True when an address needs SMTPUTF8 (a non-ASCII local part).
    smtputf8: bool

    @classmethod
    def of(cls, sender: str, recipients: Sequence[str]) -> Envelope:
        """The wire form; PermanentFailure (naming the address) when one cannot be sent."""
        try:
            wired = [wire_address(a) for a in (sender, *recipients)]
        except UnmailableAddress as exc:
            raise PermanentFailure(str(exc)) from exc
        utf8 = any(a.smtputf8 for a in wired)
        return cls(wired[0].address, tuple(a.address for a in wired[1:]), utf8)

    def require(self, smtputf8: bool) -> bool:
        """Whether SMTPUTF8 is needed; PermanentFailure when it is and the server lacks it."""
        if self.smtputf8 and not smtputf8:
            raise PermanentFailure(SMTPUTF8_REFUSAL)
        return self.smtputf8


class Throttled(TemporaryFailure):
    """The relay limits how fast it takes mail (a 4.7.x reply such as ``450 4.7.1 too much
    mail``): the whole send slows down; the message is not at fault."""


class SessionRefused(LinkedError):
    """The relay refused the session itself (authentication, TLS trust): no message can go.

    Not a :class:`TransportError`: it is never a message's failure. ``str()`` is the
    message for the operator, naming the setting to change.
    """


class Breaker(Protocol):
    """What every sender waits on while the relay is down
    (:class:`linked.delivery.breaker.CircuitBreaker`)."""

    async def wait(self) -> None:
        """Return once senders may connect again (at once when they may)."""
        ...


class Lane(Protocol):
    """One sender's way through a pooled transport (:meth:`Transport.lane`).

    :meth:`send_reply` takes ``then``, the recipients of the sender's next message,
    so that message's envelope can follow this one's end of data on the same
    connection; :meth:`release` when the sender is done.
    """

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
        """Deliver one message and return the server's reply, or raise TransportError."""
        ...

    def release(self) -> None:
        """Give back what the lane holds."""
        ...


class Transport(abc.ABC):
    """Send message bytes to envelope recipients. Implementations may pool connections.

    Like django.core.mail's backends: :meth:`send` is the one method every transport
    writes; the others have neutral defaults that a pooled transport overrides, so a
    caller never asks which transport it has. ``async with transport:`` closes it.
    """

    #: What senders wait on while the relay is down; None when the transport keeps none.
    breaker: Breaker | None = None

    @abc.abstractmethod
    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Deliver one message or raise :class:`TransportError`."""

    async def close(self) -> None:
        """Release connections; the transport is not used afterwards."""
        return None

    def lane(self) -> Lane | None:
        """A :class:`Lane` for one sender, or None: that sender uses :meth:`send`."""
        return None

    def describe(self) -> str:
        """What limits the transport now and why (progress, ``linked status``); "" = nothing."""
        return ""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


@dataclass(frozen=True)
class SentMessage:
    sender: str
    recipients: tuple[str, ...]
    message: bytes


@dataclass
class MemoryTransport(Transport):
    """Keeps messages in a list. For unit tests of composition only, never proof of sending."""

    sent: list[SentMessage] = field(default_factory=list)

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        self.sent.append(SentMessage(sender, tuple(recipients), message))
