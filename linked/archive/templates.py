"""The Jinja2 environment and shared variables for every public page (``templates/web/``)."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from linked.compose.templates import long_date, template_dirs
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
    root: str | None = None,
    referrer_policy: str = "strict-origin-when-cross-origin",
) -> dict[str, Any]:
    """What ``web/base.html`` needs on every public page.

    The one source for the archive (static build and live router) and the subscribe
    pages, so every page links the same stylesheet, logo, feed and forms. ``root`` is
    the way from the page up to the site's top (``""``, ``"../../"``): given, the page's
    links, styles and images are relative, so a built ``site/`` looks the same opened
    from disk or served under any path; None makes them absolute under ``base_url``
    (pages served at any URL: the 404 page, subscribe, confirm). The subscribe form
    always posts to the app under ``base_url``. Pages whose URL holds a token ask for
    ``referrer_policy="no-referrer"``.
    """
    base = settings.base_url
    top = f"{base}/" if root is None else root
    home = f"{base}/" if root is None else f"{root}index.html"
    return {
        "settings": settings,
        "canonical": canonical,
        "referrer_policy": referrer_policy,
        "site_url": f"{base}/",
        "root": top,
        "home_url": home,
        "search_url": f"{top}search.html",
        "search_json_url": f"{top}search.json",
        "feed_url": f"{top}feed.xml",
        "subscribe_url": f"{base}/subscribe",
        "css_url": f"{top}static/archive.css",
        "script_url": f"{top}static/search.js",
        "logo_url": f"{top}static/logo.png",
    }
