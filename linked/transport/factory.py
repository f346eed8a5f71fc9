"""Choose the transport the settings ask for."""

from __future__ import annotations

from linked.settings import Settings
from linked.transport.base import Transport
from linked.transport.guard import refuse_local_links
from linked.transport.outbox import OutboxTransport
from linked.transport.smtp import SMTPURL, SMTPTransport


def open_transport(settings: Settings) -> Transport:
    """SMTP when ``LINKED_SMTP_URL`` is set, else ``.eml`` files in ``outbox/``.

    SMTP is refused while the settings point readers at this computer (see
    :mod:`linked.transport.guard`); the outbox is always allowed.
    """
    if settings.smtp_url:
        refuse_local_links(settings)
        return SMTPTransport(SMTPURL.parse(settings.smtp_url))
    return OutboxTransport(settings.outbox_dir)
