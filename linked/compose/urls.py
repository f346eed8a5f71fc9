"""Public URLs of editions and their images, from the configured ``base_url``."""

from __future__ import annotations

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
