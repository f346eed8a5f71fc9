"""Per-recipient slots: markers left in a composed email, filled in for each reader.

Composition (Jinja, MJML, Markdown) runs once per edition; a slot marker such
as ``%%LINKED_UNSUBSCRIBE_URL%%`` survives it untouched, and
:mod:`linked.message` swaps the markers for each recipient's values.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from markupsafe import Markup

#: Every slot a template may use. ``greeting`` is a whole line ("Hello Sam,");
#: ``confirm_url`` is the confirmation mail's link, composed once for every requester.
SLOTS = ("greeting", "unsubscribe_url", "confirm_url")

MARKER = re.compile(r"%%LINKED_([A-Z_]+)%%")


def marker(name: str) -> Markup:
    """The marker for ``name``, safe to place in HTML text and attributes."""
    if name not in SLOTS:
        raise KeyError(f"unknown slot {name!r}; slots are {', '.join(SLOTS)}")
    return Markup(f"%%LINKED_{name.upper()}%%")


def greeting(name: str | None) -> str:
    """The greeting line for a reader, with or without a name."""
    name = (name or "").strip()
    return f"Hello {name}," if name else "Hello,"


def fill(template: str, values: Mapping[str, str], *, html_escape: bool) -> str:
    """Replace every marker with its value (HTML-escaped for the HTML part)."""

    def value(match: re.Match[str]) -> str:
        text = values[match.group(1).lower()]
        return html.escape(text, quote=True) if html_escape else text

    return MARKER.sub(value, template)
