"""One SMTP connection (aiosmtplib) and the ``LINKED_SMTP_URL`` parser.

The delivery engine pools many of these; the subscribers module uses one for
confirmation mail.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiosmtplib

from linked.errors import LinkedError
from linked.transport.base import Envelope, PermanentFailure, TemporaryFailure, TransportError

_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+starttls": (587, False, True),
    "smtps": (465, True, False),
}


@dataclass(frozen=True)
class SMTPURL:
    """A parsed ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URL."""

    host: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SMTPURL:
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES:
            raise LinkedError(
                f"LINKED_SMTP_URL must start with smtp://, smtp+starttls:// or smtps:// "
                f"(got {parts.scheme or 'no scheme'!r})"
            )
        default_port, use_tls, start_tls = _SCHEMES[parts.scheme]
        if not parts.hostname:
            raise LinkedError("LINKED_SMTP_URL has no host")
        try:
            port = parts.port or default_port
        except ValueError as exc:
            raise LinkedError(f"LINKED_SMTP_URL has a bad port: {exc}") from exc
        return cls(
            host=parts.hostname,
            port=port,
            use_tls=use_tls,
            start_tls=start_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def client(self, *, timeout: float, tls_context: ssl.SSLContext | None) -> aiosmtplib.SMTP:
        """An unconnected aiosmtplib client for this server (TLS and AUTH as the URL says)."""
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            username=self.username,
            password=self.password,
            timeout=timeout,
            tls_context=tls_context,
        )


def classify(exc: Exception) -> TransportError:
    """Map an aiosmtplib or socket error to a temporary or permanent failure."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return classify(first)
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(code, int) and 500 <= code < 600:
        return PermanentFailure(f"{code} {message}", code)
    return TemporaryFailure(
        f"{code} {message}" if code else message, code if isinstance(code, int) else None
    )


class SMTPTransport:
    """A single lazily-opened SMTP connection, reopened after it drops."""

    def __init__(
        self, url: SMTPURL, *, timeout: float = 30.0, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.tls_context = tls_context
        self._client: aiosmtplib.SMTP | None = None
        self.messages_sent = 0

    async def connect(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = self.url.client(timeout=self.timeout, tls_context=self.tls_context)
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # greet now: send() asks for SMTPUTF8 first
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise classify(exc) from exc
        self._client = client
        self.messages_sent = 0
        return client

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Send one message; domains go out as A-labels, non-ASCII local parts with SMTPUTF8."""
        wired = Envelope.of(sender, recipients)
        client = await self.connect()
        utf8 = wired.require(client.supports_extension("smtputf8"))
        try:
            await client.sendmail(
                wired.sender,
                list(wired.recipients),
                message,
                mail_options=["SMTPUTF8"] if utf8 else None,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            failure = classify(exc)
            if isinstance(exc, aiosmtplib.SMTPServerDisconnected | OSError):
                self._client = None
            else:
                await self._reset(client)
            raise failure from exc
        self.messages_sent += 1

    async def _reset(self, client: aiosmtplib.SMTP) -> None:
        """RSET after a refused message so the connection can carry the next one."""
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._client = None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


async def offers_smtputf8(url: SMTPURL, *, timeout: float = 10.0) -> bool | None:
    """Whether the server offers SMTPUTF8 (RFC 6531); None when it cannot be asked now.

    Opens a session (TLS and AUTH as the URL says), reads the EHLO reply, and quits.
    """
    client = url.client(timeout=timeout, tls_context=None)
    try:
        await client.connect()
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        offered = client.supports_extension("smtputf8")
    except (aiosmtplib.SMTPException, OSError):
        return None
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    return offered
