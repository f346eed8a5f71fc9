"""Refuse to mail real people links that only work on this computer.

The defaults (``base_url = http://localhost:8000``, From ``bulletin@localhost``)
let a newcomer run the whole flow into ``outbox/``. Over SMTP the same settings
would send every reader links and images they cannot open, from an address
nobody can reply to, so sending over SMTP is refused until they are set —
unless ``allow_local_links`` says this is a test against a local server.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

from linked.compose.urls import host_kind
from linked.errors import LinkedError
from linked.settings import Settings

ESCAPE = "for a test against a local server, pass --allow-local-links"


def local_setting_problems(settings: Settings) -> list[str]:
    """Why mail from these settings would point readers at this computer; [] when fine."""
    problems = []
    url = settings.base_url
    parts = urlsplit(url)
    if host_kind(parts.hostname or "") == "local":
        problems.append(
            f"base_url is {url}, which is this computer: readers could not open the links "
            "and images in the email; set base_url in linked.toml (or LINKED_BASE_URL) to "
            "the archive's public https:// address"
        )
    elif parts.scheme == "http":
        problems.append(
            f"base_url is {url}, not https://: the links in the email would not be "
            "encrypted; set base_url in linked.toml (or LINKED_BASE_URL) to the https:// address"
        )
    address = parseaddr(settings.from_address)[1]
    domain = address.rpartition("@")[2]
    if host_kind(domain) == "local" or "." not in domain:
        problems.append(
            f"the From address {address or settings.from_address!r} is not at a real domain: "
            "replies would go nowhere and receiving servers reject such mail; set from in "
            "linked.toml (or LINKED_FROM) to an address at your own domain"
        )
    return problems


def refuse_local_links(settings: Settings) -> None:
    """Raise :class:`LinkedError` before sending over SMTP with local settings."""
    if settings.allow_local_links:
        return
    problems = local_setting_problems(settings)
    if problems:
        raise LinkedError("not sending over SMTP:\n  " + "\n  ".join(problems) + f"\n  ({ESCAPE})")
