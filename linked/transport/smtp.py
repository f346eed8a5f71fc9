"""One SMTP connection (aiosmtplib) and the ``LINKED_SMTP_URL`` parser.

The delivery engine pools many of these; the subscribers module uses one for
confirmation mail.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import aiosmtplib

from linked.errors import LinkedError
from linked.transport.base import (
    Envelope,
    PermanentFailure,
    SessionRefused,
    TemporaryFailure,
    Throttled,
    Transport,
    TransportError,
)
from linked.transport.session import session_refused

_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+starttls": (587, False, True),
    "smtps": (465, True, False),
}


#: scheme://user:password@host… with the password as everything up to the last ``@``.
_USERINFO = re.compile(r"^(?P<head>[^:/]*://[^:@/]*):(?P<password>.*)@(?P<tail>[^@]*)$", re.S)
#: A reply with a 4.7.x enhanced status: the relay limits rate or connections. Microsoft 365
#: says "432 4.3.2 Concurrent connections limit exceeded" (or "4.3.2 STOREDRV.ClientSubmit;
#: sender thread limit exceeded") past three connections per mailbox: a limit too.
_RATE_LIMIT = re.compile(r"^4\.(?:7\.\d{1,3}|3\.2)\b")
RATE_LIMIT_CODES = (421, 432, 450, 451, 452)


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for any message that shows it."""
    match = _USERINFO.match(url)
    if match is None:
        return url
    return f"{match['head']}:***@{match['tail']}"


@dataclass(frozen=True)
class SMTPURL:
    """A parsed ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URL (its repr hides the
    password)."""

    host: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SMTPURL:
        """Parse ``LINKED_SMTP_URL``; every error shows the URL with its password masked."""
        shown = mask_url(url)
        scheme, _, rest = url.partition("://")
        userinfo = rest.rpartition("@")[0]
        if any(char in userinfo for char in "/?#@"):
            raise LinkedError(
                f"LINKED_SMTP_URL ({shown}): the user name or password contains a character "
                "that must be percent-encoded: write / as %2F, ? as %3F, # as %23, @ as %40, "
                "% as %25 and : in the user name as %3A (see the operator's guide)"
            )
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            raise LinkedError(f"LINKED_SMTP_URL ({shown}) is not a valid URL: {exc}") from None
        if parts.scheme not in _SCHEMES:
            raise LinkedError(
                f"LINKED_SMTP_URL must start with smtp://, smtp+starttls:// or smtps:// "
                f"(got {scheme if '://' in url else 'no scheme'!r}: {shown})"
            )
        default_port, use_tls, start_tls = _SCHEMES[parts.scheme]
        if not parts.hostname:
            raise LinkedError(f"LINKED_SMTP_URL has no host: {shown}")
        port = parts.port or default_port
        return cls(
            host=parts.hostname,
            port=port,
            use_tls=use_tls,
            start_tls=start_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def client(
        self,
        *,
        timeout: float,
        tls_context: ssl.SSLContext | None,
        helo_name: str | None = None,
    ) -> aiosmtplib.SMTP:
        """An unconnected aiosmtplib client for this server, TLS as the URL says.

        It does not log in: :meth:`login` does, after ``connect()``, with one mechanism.
        """
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=timeout,
            tls_context=tls_context,
            local_hostname=helo_name,
        )

    async def login(self, client: aiosmtplib.SMTP) -> None:
        """AUTH once when the URL has a user: PLAIN, else LOGIN, else what the server offers.

        One attempt per connection (aiosmtplib's ``login`` tries every mechanism, so a
        wrong password would count twice towards an account lock-out).
        """
        if self.username is None:
            return
        password = self.password or ""
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        offered = client.server_auth_methods
        if "plain" in offered:
            await client.auth_plain(self.username, password)
        elif "login" in offered:
            await client.auth_login(self.username, password)
        else:
            await client.login(self.username, password)


def classify(exc: Exception) -> TransportError:
    """Map an aiosmtplib or socket error to a temporary or permanent failure."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return classify(first)
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(code, int) and 500 <= code < 600:
        return PermanentFailure(f"{code} {message}", code)
    if code in RATE_LIMIT_CODES and _RATE_LIMIT.match(message):
        return Throttled(f"{code} {message}", code)
    return TemporaryFailure(
        f"{code} {message}" if code else message, code if isinstance(code, int) else None
    )


class SMTPTransport(Transport):
    """A single lazily-opened SMTP connection, reopened after it drops."""

    def __init__(
        self,
        url: SMTPURL,
        *,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        helo_name: str | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.tls_context = tls_context
        self.helo_name = helo_name
        self._client: aiosmtplib.SMTP | None = None
        #: A session-level refusal, kept: no further login is tried on this transport.
        self._refused: SessionRefused | None = None
        self.messages_sent = 0

    async def connect(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        if self._refused is not None:
            raise self._refused
        client = self.url.client(
            timeout=self.timeout, tls_context=self.tls_context, helo_name=self.helo_name
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # greet now: send() asks for SMTPUTF8 first
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
            await self.url.login(client)
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            if (refused := session_refused(exc, self.url)) is not None:
                self._refused = refused
                raise refused from exc
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

    Opens a session (TLS as the URL says; no login is needed to read EHLO) and quits.
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
