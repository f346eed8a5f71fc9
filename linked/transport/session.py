"""What a session with a relay needs besides the URL: TLS trust, the HELO name, and which
errors refuse the session itself rather than one message.

A session-level refusal (wrong password, AUTH or STARTTLS not offered, a certificate
that is not trusted or not for this host, a failed handshake) will not go away by
retrying: every connection would fail the same way, and each failed login counts
towards the account's lock-out. :func:`session_refused` turns such an error into a
:class:`~linked.transport.base.SessionRefused` naming the setting to change.
"""

from __future__ import annotations

import logging
import socket
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib

from linked.errors import LinkedError
from linked.transport.base import SessionRefused

if TYPE_CHECKING:
    from linked.transport.smtp import SMTPURL

log = logging.getLogger("linked.transport")

#: Replies to AUTH that mean the credentials (or the account) are refused.
AUTH_REFUSED = (530, 534, 535)


def tls_context(ca_file: Path | None = None, verify: bool = True) -> ssl.SSLContext:
    """The TLS context for the relay: the system's trusted roots plus ``ca_file``.

    ``ca_file`` (PEM) is *added* to the system roots, so a relay with a public
    certificate still works. ``verify=False`` checks nothing and says so loudly.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise LinkedError(
                f"LINKED_SMTP_CA_FILE: cannot use {ca_file} as PEM certificates: {exc}"
            ) from None
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        log.warning(
            "LINKED_SMTP_TLS_VERIFY is false: the SMTP relay's certificate is NOT checked, so "
            "anyone on the network path can pose as the relay and read the password and every "
            "message. Set LINKED_SMTP_CA_FILE instead."
        )
    return context


def helo_name(configured: str | None, from_address: str) -> str:
    """The name to greet the relay with: the setting, else this host's fully qualified
    name, else the domain of the From address (never a bare ``localhost``)."""
    if configured:
        return configured
    fqdn = socket.getfqdn()
    if "." in fqdn and not fqdn.startswith("localhost"):
        return fqdn
    domain = from_address.rstrip("> ").rpartition("@")[2]
    return domain or "localhost"


def _shown(url: SMTPURL) -> str:
    scheme = "smtps" if url.use_tls else "smtp+starttls" if url.start_tls else "smtp"
    user = f"{url.username}:***@" if url.username else ""
    return f"{scheme}://{user}{url.host}:{url.port}"


def _ssl_error(exc: BaseException) -> ssl.SSLError | ssl.CertificateError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return None  # the peer hung up: not a question of trust
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return current
        current = current.__cause__ or current.__context__
    return None


def session_refused(exc: BaseException, url: SMTPURL) -> SessionRefused | None:
    """The session-level refusal ``exc`` stands for, or None when retrying may help."""
    shown = _shown(url)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError) and (
        exc.code in AUTH_REFUSED or exc.code >= 500
    ):
        return SessionRefused(
            "the SMTP server refused the user name or password: check LINKED_SMTP_URL "
            f"({shown}); it replied {exc.code} {exc.message}"
        )
    error = _ssl_error(exc)
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or str(error)
        if error.verify_code == 62 or "mismatch" in detail.lower():  # X509_V_ERR_HOSTNAME_MISMATCH
            return SessionRefused(
                f"the SMTP server's TLS certificate is not for {url.host!r} ({detail}): use the "
                "name the certificate is for in LINKED_SMTP_URL, or set LINKED_SMTP_HELO_NAME "
                "and the relay's name consistently"
            )
        return SessionRefused(
            f"the SMTP server's TLS certificate is not trusted ({detail}) at {shown}: set "
            "LINKED_SMTP_CA_FILE to the PEM file of the certificate authority that signed it "
            "(it is added to the system's trusted roots)"
        )
    if error is not None:
        return SessionRefused(
            f"the TLS handshake with the SMTP server failed ({error}) at {shown}: check the "
            "scheme and port in LINKED_SMTP_URL (smtps:// for implicit TLS, usually port 465; "
            "smtp+starttls:// for STARTTLS, usually 587) and LINKED_SMTP_CA_FILE"
        )
    text = str(exc).lower()
    if isinstance(exc, aiosmtplib.SMTPException) and "starttls extension not supported" in text:
        return SessionRefused(
            f"the SMTP server does not offer STARTTLS at {shown}: check the scheme and port "
            "in LINKED_SMTP_URL"
        )
    if isinstance(exc, aiosmtplib.SMTPException) and "auth extension not supported" in text:
        return SessionRefused(
            f"the SMTP server offers no authentication at {shown}: check LINKED_SMTP_URL "
            "(most relays offer AUTH only after STARTTLS: smtp+starttls://…:587)"
        )
    return None
