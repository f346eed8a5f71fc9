"""Choose the transport the settings ask for, and the relay session's TLS and HELO name."""

from __future__ import annotations

import ssl

from linked.settings import Settings
from linked.transport.base import Transport
from linked.transport.guard import refuse_local_links
from linked.transport.outbox import OutboxTransport
from linked.transport.session import helo_name, tls_context
from linked.transport.smtp import SMTPURL, SMTPTransport


def smtp_session(settings: Settings, url: SMTPURL) -> tuple[ssl.SSLContext | None, str]:
    """The TLS context (None when the URL uses no TLS) and the HELO name for the relay."""
    context = None
    if url.use_tls or url.start_tls:
        context = tls_context(settings.smtp_ca_file, settings.smtp_tls_verify)
    return context, helo_name(settings.smtp_helo_name, settings.from_address)


def open_transport(settings: Settings) -> Transport:
    """SMTP when ``LINKED_SMTP_URL`` is set, else ``.eml`` files in ``outbox/``.

    SMTP is refused while the settings point readers at this computer (see
    :mod:`linked.transport.guard`); the outbox is always allowed.
    """
    if settings.smtp_url:
        refuse_local_links(settings)
        url = SMTPURL.parse(settings.smtp_url)
        context, helo = smtp_session(settings, url)
        return SMTPTransport(url, tls_context=context, helo_name=helo)
    return OutboxTransport(settings.outbox_dir)
