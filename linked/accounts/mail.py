"""The "set your password" mail that "forgot password" sends: plain text, one link."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from linked.settings import Settings
from linked.transport import TransportError, open_transport

log = logging.getLogger(__name__)


def reset_message(settings: Settings, to: str, url: str) -> tuple[str, bytes]:
    """The envelope sender and the bytes of the mail carrying a 1-hour password link."""
    _, sender = parseaddr(settings.from_address)
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = to
    message["Subject"] = f"Set a new password for the {settings.bulletin_name} console"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "Someone (we hope you) asked to set a new password for the console.\n\n"
        f"Open this link within one hour to choose one:\n\n{url}\n\n"
        "The link works once. If you did not ask, ignore this mail: your password stays "
        "as it is.\n"
    )
    return sender, message.as_bytes()


async def send_reset(settings: Settings, to: str, url: str) -> bool:
    """Send the mail; a failure is logged (without the address) and dropped."""
    sender, data = reset_message(settings, to, url)
    async with open_transport(settings) as transport:
        try:
            await transport.send(sender, [to], data)
        except TransportError as exc:
            log.warning("could not send a password link: %s", exc)
            return False
    return True
