"""Public URLs of editions and their images, from the configured ``base_url``."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urljoin, urlsplit


def edition_url(base_url: str, slug: str) -> str:
    return f"{base_url}/editions/{quote(slug)}/"


def asset_url(base_url: str, slug: str, path: str) -> str:
    """Absolute URL of a file inside an edition folder (``images/wood.jpg``)."""
    return urljoin(edition_url(base_url, slug), quote(path))


def static_url(base_url: str, path: str) -> str:
    return f"{base_url}/static/{quote(path)}"


def is_relative(url: str) -> bool:
    """True for ``images/x.png`` or ``../y``; false for schemes, ``//host`` and ``#anchors``."""
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith("#"))


#: Host names only a local network resolves.
_PRIVATE_SUFFIXES = (".local", ".internal", ".lan", ".home.arpa")


def host_kind(host: str) -> str | None:
    """``"local"`` for this computer, ``"private"`` for a local network, else None."""
    host = host.lower().strip("[]").rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "local"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "private" if host.endswith(_PRIVATE_SUFFIXES) else None
    if ip.is_loopback or ip.is_unspecified:
        return "local"
    if ip.is_private or ip.is_link_local:
        return "private"
    return None
