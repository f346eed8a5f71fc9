"""The Jinja2 environment and shared variables for every public page (``templates/web/``)."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from linked.compose.templates import long_date, template_dirs
from linked.compose.urls import static_url
from linked.settings import Settings


def web_environment(settings: Settings) -> Environment:
    """Project templates first, then Linked's; every value is escaped unless marked safe."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in template_dirs(settings)]),
        # Every public template is HTML or XML: autoescape all of them, whatever the suffix.
        # Subscriber-supplied values (an address, a name) end up in pages too.
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    return env


def page_context(
    settings: Settings,
    canonical: str | None = None,
    *,
    referrer_policy: str = "strict-origin-when-cross-origin",
) -> dict[str, Any]:
    """What ``web/base.html`` needs on every public page, all under ``base_url``.

    The one source for the archive (static build and live router) and the subscribe
    pages, so every page links the same stylesheet, logo, feed and forms. Pages whose
    URL holds a token ask for ``referrer_policy="no-referrer"``.
    """
    base = settings.base_url
    return {
        "settings": settings,
        "canonical": canonical,
        "referrer_policy": referrer_policy,
        "home_url": f"{base}/",
        "search_url": f"{base}/search.html",
        "search_json_url": f"{base}/search.json",
        "feed_url": f"{base}/feed.xml",
        "subscribe_url": f"{base}/subscribe",
        "css_url": static_url(base, "archive.css"),
        "script_url": static_url(base, "search.js"),
        "logo_url": static_url(base, "logo.png"),
    }
