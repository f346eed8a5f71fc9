"""The Atom feed (``feed.xml``): every published edition with its full content."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from feedgen.feed import FeedGenerator

from linked.compose.urls import edition_url
from linked.edition import Edition
from linked.settings import Settings


def published_at(edition: Edition, settings: Settings) -> datetime:
    """When the edition became public: its send time, else midnight on its date locally."""
    if edition.send_at is not None:
        if edition.send_at.tzinfo is None:
            return edition.send_at.replace(tzinfo=settings.zone)
        return edition.send_at
    return datetime.combine(edition.date, time(0, 0), tzinfo=settings.zone)


def atom_feed(settings: Settings, entries: Sequence[tuple[Edition, str]], feed_url: str) -> bytes:
    """Atom XML for ``entries`` (edition, full HTML content), newest first.

    Times come from the editions, never the clock, so the static build and the
    live router produce the same bytes.
    """
    base = settings.base_url
    fg = FeedGenerator()
    fg.id(f"{base}/")
    fg.title(settings.bulletin_name)
    fg.subtitle(f"The e-bulletin of {settings.organisation}")
    fg.author({"name": settings.organisation})
    fg.link(href=f"{base}/", rel="alternate", type="text/html")
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.language("en-GB")
    fg.generator("Linked")
    epoch = datetime(2000, 1, 1, tzinfo=settings.zone)
    fg.updated(max((published_at(e, settings) for e, _ in entries), default=epoch))
    # feedgen prepends each add_entry; add oldest first so the XML lists newest first.
    for edition, content in reversed(entries):
        entry = fg.add_entry()
        url = edition_url(base, edition.slug)
        entry.id(url)
        entry.title(edition.title)
        entry.link(href=url, rel="alternate", type="text/html")
        when = published_at(edition, settings)
        entry.published(when)
        entry.updated(when)
        if edition.preheader:
            entry.summary(edition.preheader)
        entry.content(content, type="html")
    return bytes(fg.atom_str(pretty=True))
