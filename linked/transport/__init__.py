"""Transports: how finished message bytes leave Linked.

Every transport has the same small interface (:class:`Transport`), like
django.core.mail's backends: the caller hands over an envelope and the exact
bytes to send. Transports know nothing of editions, Markdown or subscribers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported on first use, so a module that needs only transport.guard (linked check) does not
# load aiosmtplib; the names below are the package's interface either way.
_HOME = {
    "SMTPURL": "smtp",
    "SMTPTransport": "smtp",
    "OutboxTransport": "outbox",
    "SMTPFactory": "factory",
    "open_transport": "factory",
    "smtp_session": "factory",
}

if TYPE_CHECKING:
    from linked.transport.base import (
        Breaker,
        Envelope,
        Lane,
        MemoryTransport,
        PermanentFailure,
        SentMessage,
        SessionRefused,
        TemporaryFailure,
        Throttled,
        Transport,
        TransportError,
    )
    from linked.transport.factory import SMTPFactory, open_transport, smtp_session
    from linked.transport.outbox import OutboxTransport
    from linked.transport.smtp import SMTPURL, SMTPTransport


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'linked.transport' has no attribute {name!r}")
    module = importlib.import_module(f"linked.transport.{_HOME.get(name, 'base')}")
    value = getattr(module, name)
    globals()[name] = value
    return value


__all__ = [
    "SMTPURL",
    "Breaker",
    "Envelope",
    "Lane",
    "MemoryTransport",
    "OutboxTransport",
    "PermanentFailure",
    "SMTPFactory",
    "SMTPTransport",
    "SentMessage",
    "SessionRefused",
    "TemporaryFailure",
    "Throttled",
    "Transport",
    "TransportError",
    "open_transport",
    "smtp_session",
]
