"""An edition's articles rendered once for display: HTML and text bodies, absolute URLs.

The email composer and the archive both read these, so an article looks the
same in an inbox and on the web.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from linked.compose.markdown import EmailMarkdown
from linked.compose.text import References, TextRenderer
from linked.compose.urls import asset_url, is_relative
from linked.edition import Article, Edition, Link


@dataclass(frozen=True)
class ArticleView:
    anchor: str
    title: str
    html: str
    text: str
    image_url: str | None
    image_alt: str | None
    links: tuple[Link, ...]


@dataclass(frozen=True)
class SectionView:
    """``level`` is the heading level of the articles in it (2 alone, 3 under a heading)."""

    title: str | None
    level: int
    articles: tuple[ArticleView, ...]


@dataclass(frozen=True)
class EditionView:
    edition: Edition
    welcome_html: str
    welcome_text: str
    sections: tuple[SectionView, ...]


class Renderer:
    """Markdown → HTML and text for one edition at a time; reusable across editions."""

    def __init__(self, base_url: str | None) -> None:
        """``base_url`` None: an edition's files keep relative URLs (``images/x.png``), for
        pages and files that sit in the edition's own folder (archive page, ``email.html``)."""
        self.base_url = base_url
        self.html = EmailMarkdown()
        self.text = TextRenderer()

    def edition(self, edition: Edition) -> EditionView:
        def resolve(url: str) -> str:
            if not is_relative(url):
                return url
            if self.base_url is None:
                return quote(url, safe="/#?&=%:@")
            return asset_url(self.base_url, edition.slug, url)

        refs = References()
        # The welcome comes first in the email, so its links take the first numbers.
        welcome_text = self.text.render(edition.welcome, refs, resolve)
        sections = []
        for section in edition.sections:
            level = 3 if section.title else 2
            articles = tuple(self._article(a, level, refs, resolve) for a in section.articles)
            sections.append(SectionView(section.title, level, articles))
        return EditionView(
            edition=edition,
            welcome_html=self.html.render(edition.welcome, resolve, heading_offset=1),
            welcome_text=welcome_text,
            sections=tuple(sections),
        )

    def _article(
        self, article: Article, level: int, refs: References, resolve: Callable[[str], str]
    ) -> ArticleView:
        # Parse once for both outputs: Markdown parsing is most of the cost of an edition.
        tokens = self.html.md.parse(article.body)
        html = self.html.render_tokens(tokens, resolve, heading_offset=level)
        return ArticleView(
            anchor=article.anchor,
            title=article.title,
            html=html,
            text=self.text.render_tokens(tokens, refs, resolve),
            image_url=resolve(article.image) if article.image else None,
            image_alt=article.image_alt,
            links=article.links,
        )
