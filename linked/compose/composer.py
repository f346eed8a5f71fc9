"""Edition (or a notice such as a confirmation mail) → :class:`ComposedEmail`.

Jinja2 renders MJML and plain text from the same data; ``mjml-python``
compiles the MJML once. Per-recipient values stay as slot markers
(:mod:`linked.compose.slots`) for :mod:`linked.message` to fill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from markupsafe import Markup
from mjml import mjml2html

from linked.compose.templates import environment
from linked.compose.urls import edition_url, static_url
from linked.compose.views import Renderer
from linked.edition import Edition
from linked.errors import LinkedError
from linked.settings import Settings

#: The logo's file name beside a locally written ``email.html``.
LOGO_FILE = "logo.png"


@dataclass(frozen=True)
class ComposedEmail:
    """The parts of an email; ``html`` and ``text`` may hold slot markers."""

    subject: str
    preheader: str | None
    html: str
    text: str


class Composer:
    """Holds the compiled templates and Markdown renderers; create once, compose many."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = environment(settings)
        self.renderer = Renderer(settings.base_url)
        self.local_renderer = Renderer(None)

    def _common(self) -> dict[str, Any]:
        base = self.settings.base_url
        return {
            "settings": self.settings,
            "logo_url": static_url(base, "logo.png"),
            "home_url": f"{base}/",
        }

    def _render(self, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
        try:
            mjml_source = self.env.get_template(f"email/{name}.mjml.j2").render(context)
            text = self.env.get_template(f"email/{name}.txt.j2").render(context)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            raise LinkedError(f"email template {name!r}{where}: {exc}") from exc
        try:
            html = mjml2html(mjml_source, fonts={})
        except Exception as exc:  # mrml reports template mistakes as plain exceptions
            raise LinkedError(f"email template {name!r} is not valid MJML: {exc}") from exc
        return _native_article(html), _tidy_text(text)

    def edition(self, edition: Edition, *, local_files: bool = False) -> ComposedEmail:
        """The edition's email. ``local_files``: its images and the logo as relative URLs
        (``images/x.png``, :data:`LOGO_FILE`), for an ``email.html`` written beside copies
        of them and opened from disk; links to pages stay absolute."""
        view = (self.local_renderer if local_files else self.renderer).edition(edition)
        common = self._common()
        if local_files:
            common["logo_url"] = LOGO_FILE
        context = {
            **common,
            "edition": edition,
            "welcome_html": Markup(view.welcome_html),
            "welcome_text": view.welcome_text,
            "sections": [
                {
                    "title": s.title,
                    "level": s.level,
                    "articles": [{**a.__dict__, "html": Markup(a.html)} for a in s.articles],
                }
                for s in view.sections
            ],
            "view_url": edition_url(self.settings.base_url, edition.slug),
        }
        html, text = self._render("edition", context)
        return ComposedEmail(edition.subject, edition.preheader, html, text)

    def notice(self, name: str, context: Mapping[str, Any]) -> ComposedEmail:
        """A one-off mail (confirmation, welcome) from ``templates/email/{name}.*.j2``."""
        full = {**self._common(), **context}
        html, text = self._render(name, full)
        return ComposedEmail(str(context["subject"]), context.get("preheader"), html, text)


_WRAPPER = re.compile(r'<div ([^>]*)role="article"([^>]*)>')
_END = "</div></body></html>"


def _native_article(html: str) -> str:
    """Use ``<article>`` for mrml's ``<div role="article">`` wrapper (native element, same role)."""
    matches = _WRAPPER.findall(html)
    if len(matches) != 1 or not html.endswith(_END):
        return html  # an unexpected shape: leave mrml's valid markup alone
    html = _WRAPPER.sub(lambda m: f"<article {m.group(1).strip()}{m.group(2)}>", html)
    return html[: -len(_END)] + "</article></body></html>"


def _tidy_text(text: str) -> str:
    """Collapse runs of blank lines left by template blocks; end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]) or (len(out) > 1 and out[-2]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def compose_edition(settings: Settings, edition: Edition) -> ComposedEmail:
    return Composer(settings).edition(edition)


def compose_notice(settings: Settings, name: str, context: Mapping[str, Any]) -> ComposedEmail:
    return Composer(settings).notice(name, context)
