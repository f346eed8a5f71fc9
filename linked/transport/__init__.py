"""Transports: how finished message bytes leave Linked.

Every transport has the same small interface (:class:`Transport`), like
django.core.mail's backends: the caller hands over an envelope and the exact
bytes to send. Transports know nothing of editions, Markdown or subscribers.
"""

from linked.transport.base import (
    Envelope,
    MemoryTransport,
    PermanentFailure,
    SentMessage,
    SessionRefused,
    TemporaryFailure,
    Throttled,
    Transport,
    TransportError,
)
from linked.transport.factory import open_transport, smtp_session
from linked.transport.outbox import OutboxTransport
from linked.transport.smtp import SMTPURL, SMTPTransport

__all__ = [
    "SMTPURL",
    "Envelope",
    "MemoryTransport",
    "OutboxTransport",
    "PermanentFailure",
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
