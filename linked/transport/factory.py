"""Choose the transport the settings ask for, and the relay session's TLS and HELO name.

:func:`open_transport` is the one place that decides: SMTP or the outbox, the guard
against local links, the relay's TLS context and HELO name. What it builds for SMTP
is the caller's choice (``smtp``): one connection here, the delivery engine's pool
in :mod:`linked.delivery.run` (the pool lives above this package).
"""

from __future__ import annotations

import ssl
from typing import Protocol

from linked.settings import Settings
from linked.transport.base import Transport
from linked.transport.guard import refuse_local_links
from linked.transport.outbox import OutboxTransport
from linked.transport.session import helo_name, tls_context
from linked.transport.smtp import SMTPURL, SMTPTransport


class SMTPFactory(Protocol):
    """Builds the SMTP transport for a relay URL (:class:`SMTPTransport` or a pool)."""

    def __call__(
        self, url: SMTPURL, *, tls_context: ssl.SSLContext | None, helo_name: str | None
    ) -> Transport: ...


def smtp_session(settings: Settings, url: SMTPURL) -> tuple[ssl.SSLContext | None, str]:
    """The TLS context (None when the URL uses no TLS) and the HELO name for the relay."""
    context = None
    if url.use_tls or url.start_tls:
        context = tls_context(settings.smtp_ca_file, settings.smtp_tls_verify)
    return context, helo_name(settings.smtp_helo_name, settings.from_address)


def open_transport(settings: Settings, *, smtp: SMTPFactory = SMTPTransport) -> Transport:
    """SMTP (built by ``smtp``) when ``LINKED_SMTP_URL`` is set, else ``.eml`` files in ``outbox/``.

    SMTP is refused while the settings point readers at this computer (see
    :mod:`linked.transport.guard`); the outbox is always allowed.
    """
    if settings.smtp_url:
        refuse_local_links(settings)
        url = SMTPURL.parse(settings.smtp_url)
        context, helo = smtp_session(settings, url)
        return smtp(url, tls_context=context, helo_name=helo)
    return OutboxTransport(settings.outbox_dir)
