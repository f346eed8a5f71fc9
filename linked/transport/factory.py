"""Choose the transport the settings ask for."""

from __future__ import annotations

from linked.settings import Settings
from linked.transport.base import Transport
from linked.transport.outbox import OutboxTransport
from linked.transport.smtp import SMTPURL, SMTPTransport


def open_transport(settings: Settings) -> Transport:
    """SMTP when ``LINKED_SMTP_URL`` is set, else ``.eml`` files in ``outbox/``."""
    if settings.smtp_url:
        return SMTPTransport(SMTPURL.parse(settings.smtp_url))
    return OutboxTransport(settings.outbox_dir)
