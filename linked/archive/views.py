"""Turn compose's :class:`EditionView` into template data: the article HTML is trusted.

Article bodies were rendered by our own Markdown renderer with raw HTML
escaped, so they are marked safe here — and only here. Titles, alt text and
link texts stay plain strings, which Jinja escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from linked.compose import EditionView
from linked.compose.urls import edition_url
from linked.edition import Edition


@dataclass(frozen=True)
class Page:
    """One rendered page: where it lives (relative to the site root) and its HTML."""

    path: str
    html: str


def page_url(slug: str) -> str:
    """An edition's page relative to the site's top: a file name, so it opens from disk."""
    return f"editions/{quote(slug)}/index.html"


def edition_context(view: EditionView, base_url: str) -> dict[str, Any]:
    """Everything the edition body partial needs, with the rendered HTML marked safe."""
    return {
        "edition": view.edition,
        "url": edition_url(base_url, view.edition.slug),
        "welcome_html": Markup(view.welcome_html),
        "sections": [
            {
                "title": s.title,
                "level": s.level,
                "articles": [{**a.__dict__, "html": Markup(a.html)} for a in s.articles],
            }
            for s in view.sections
        ],
    }


def summary(edition: Edition) -> dict[str, Any]:
    """What the index shows for an edition: title, date, number and its article titles."""
    return {
        "edition": edition,
        "url": page_url(edition.slug),
        "articles": [{"title": a.title, "anchor": a.anchor} for a in edition.articles],
    }
