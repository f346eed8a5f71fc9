"""The prebuilt search index (``search.json``) that the search page's script filters.

Small on purpose: titles, anchors and a short excerpt per article, so a
browser can fetch it once and search without a server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from linked.archive.views import page_url
from linked.compose import EditionView

EXCERPT_CHARS = 200
_SPACE = re.compile(r"\s+")
# The plain-text renderer marks links as "[1]"; they mean nothing in an excerpt.
_REF = re.compile(r"\s?\[\d+\]")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first words of ``text`` on one line, cut at a word boundary."""
    flat = _SPACE.sub(" ", _REF.sub("", text)).strip()
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def search_index(views: Sequence[EditionView]) -> list[dict[str, Any]]:
    """One entry per edition, newest first, each with its articles; ``url`` is relative
    to the site's top, where the search page is."""
    return [
        {
            "slug": v.edition.slug,
            "url": page_url(v.edition.slug),
            "title": v.edition.title,
            "date": v.edition.date.isoformat(),
            "number": v.edition.number,
            "articles": [
                {"title": a.title, "anchor": a.anchor, "text": excerpt(a.text)}
                for s in v.sections
                for a in s.articles
            ],
        }
        for v in views
    ]


def search_json(views: Sequence[EditionView]) -> str:
    return json.dumps(search_index(views), ensure_ascii=False, separators=(",", ":"))
