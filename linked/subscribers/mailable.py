"""Whether our mail can reach an address at all, asked while the person is still on the form.

An address can be valid and still be one our mail server cannot carry: a local part
that is not ASCII (``josé@example.org``) needs SMTPUTF8 (RFC 6531). Saying so at once
beats a "check your inbox" page for a confirmation that can never arrive.
"""

from __future__ import annotations

import time

from linked.idn import UnmailableAddress, wire_address
from linked.settings import Settings
from linked.subscribers.addresses import InvalidAddress, normalise
from linked.transport import SMTPURL
from linked.transport.smtp import offers_smtputf8

CANNOT_MAIL = (
    "We cannot send email to this address: the part before the @ has characters our "
    "mail server cannot carry. Please use another address."
)


#: How long an answer is trusted: servers change their extensions rarely.
ANSWER_SECONDS = 600.0


class Mailability:
    """Tells whether our mail can reach an address; one per app, remembering the server.

    Only an address with a non-ASCII local part makes this ask the SMTP server (one
    EHLO, remembered for :data:`ANSWER_SECONDS`); a server that cannot be asked now
    is given the benefit of the doubt.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: The server's last definite answer and when it was given (monotonic seconds).
        self._answer: tuple[bool, float] | None = None

    async def check(self, email: str) -> None:
        """Raise InvalidAddress when ``email`` is valid but our mail cannot reach it.

        An address that is not valid is left to the subscribe call, which says why.
        """
        try:
            address = normalise(email)
        except InvalidAddress:
            return
        try:
            wired = wire_address(address.email)
        except UnmailableAddress as exc:
            raise InvalidAddress(CANNOT_MAIL) from exc
        if not wired.smtputf8 or not self.settings.smtp_url:
            return
        if await self._offers_smtputf8(self.settings.smtp_url) is False:
            raise InvalidAddress(CANNOT_MAIL)

    async def _offers_smtputf8(self, url: str) -> bool | None:
        """Ask the server at most once per :data:`ANSWER_SECONDS`; None when it cannot be asked."""
        now = time.monotonic()
        if self._answer is not None and now - self._answer[1] < ANSWER_SECONDS:
            return self._answer[0]
        answer = await offers_smtputf8(SMTPURL.parse(url), timeout=5.0)
        if answer is not None:
            self._answer = (answer, now)
        return answer
