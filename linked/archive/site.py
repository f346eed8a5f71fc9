"""One renderer, two outputs: every archive page and file, for the static build and the router.

:class:`Archive` knows how to produce each page from a :class:`Catalogue`;
:mod:`linked.archive.build` writes them all to a folder and
:mod:`linked.web.archive` serves them one request at a time. Neither adds
markup of its own, so the two outputs are byte-for-byte the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from linked.archive.catalogue import Catalogue, Skipped, catalogue, load_all
from linked.archive.feed import atom_feed
from linked.archive.search import search_json
from linked.archive.templates import page_context, web_environment
from linked.archive.views import edition_context, summary
from linked.compose import EditionView, Renderer
from linked.compose.templates import template_dirs
from linked.compose.urls import edition_url
from linked.edition import Edition
from linked.errors import LinkedError
from linked.settings import Settings

#: Files under ``/static/``: public name → template-relative source. Nothing else is served.
STATIC_FILES = {
    "archive.css": "web/static/archive.css",
    "search.js": "web/static/search.js",
    "logo.png": "static/logo.png",
}
IMAGES_DIR = "images"
#: From an edition's page (``editions/<slug>/index.html``) up to the site's top.
EDITION_ROOT = "../../"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Archive:
    """Renders the public archive for one project; create once, render many times."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        corrections: Callable[[Edition], date | None] | None = None,
    ) -> None:
        self.settings = settings
        #: When an edition was corrected after its send (None: never, or not known here).
        self.corrections = corrections
        self.base = settings.base_url
        self.clock = clock
        self.env = web_environment(settings)
        self.renderer = Renderer(settings.base_url)
        self.page_renderer = Renderer(None)  # the edition's page sits beside its images
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._loaded: tuple[list[Edition], list[Skipped]] = ([], [])
        self._views: dict[tuple[str, bool], tuple[Edition, EditionView]] = {}

    # Loading --------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        """The editions the public may see now; reloads only when an edition file changed."""
        signature = _signature(self.settings.editions_dir)
        if signature != self._signature:
            self._loaded = load_all(self.settings.editions_dir, self.settings.zone)
            self._signature = signature
        loaded, skipped = self._loaded
        # Publication is decided on every call: an edition appears the moment its time comes.
        return catalogue(loaded, skipped, self.clock(), self.settings.zone)

    def view(self, edition: Edition, *, relative: bool = False) -> EditionView:
        """The edition's rendered articles, cached while the loaded edition is unchanged.

        ``relative``: its images and files as ``images/x.png`` (for its own page);
        otherwise absolute under ``base_url`` (for the feed, read anywhere).
        """
        key = (edition.slug, relative)
        cached = self._views.get(key)
        if cached is not None and cached[0] is edition:
            return cached[1]
        view = (self.page_renderer if relative else self.renderer).edition(edition)
        self._views[key] = (edition, view)
        return view

    # Pages ----------------------------------------------------------------

    def _render(
        self, name: str, canonical: str | None, root: str | None = None, **context: Any
    ) -> str:
        try:
            variables = {**page_context(self.settings, canonical, root=root), **context}
            return self.env.get_template(name).render(variables)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            raise LinkedError(f"web template {name!r}{where}: {exc}") from exc

    def index_page(self, cat: Catalogue) -> str:
        editions = [summary(e) for e in cat.editions]
        return self._render("web/archive_index.html", f"{self.base}/", "", editions=editions)

    def edition_body(self, edition: Edition) -> str:
        """The edition's content as in the email, minus greeting and unsubscribe (feed too)."""
        context = edition_context(self.view(edition), self.base)
        return self._render("web/_archive_edition_body.html", None, **context)

    def edition_page(self, edition: Edition) -> str:
        context = edition_context(self.view(edition, relative=True), self.base)
        url = edition_url(self.base, edition.slug)
        corrected = self.corrections(edition) if self.corrections else None
        return self._render(
            "web/archive_edition.html", url, EDITION_ROOT, corrected_on=corrected, **context
        )

    def search_page(self) -> str:
        return self._render("web/archive_search.html", f"{self.base}/search.html", "")

    def not_found_page(self) -> str:
        # Served for any missing path, at any depth: its links stay absolute.
        return self._render("web/archive_404.html", None)

    def feed(self, cat: Catalogue) -> bytes:
        entries = [(e, self.edition_body(e)) for e in cat.editions]
        return atom_feed(self.settings, entries, f"{self.base}/feed.xml")

    def search_data(self, cat: Catalogue) -> str:
        return search_json([self.view(e) for e in cat.editions])

    # Files ----------------------------------------------------------------

    def image_names(self, edition: Edition) -> list[str]:
        """Publishable files of an edition: its ``images/`` folder and any front-matter image."""
        names = set(edition.images)
        folder = edition.path / IMAGES_DIR
        if folder.is_dir():
            for path in folder.rglob("*"):
                rel = path.relative_to(edition.path)
                if path.is_file() and not any(p.startswith(".") for p in rel.parts):
                    names.add(rel.as_posix())
        return sorted(names)

    def image_file(self, edition: Edition, name: str) -> Path | None:
        """The file behind ``/editions/{slug}/images/{name}``, or None (never outside images/)."""
        folder = (edition.path / IMAGES_DIR).resolve()
        target = (folder / name).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
            return None
        if any(p.startswith(".") for p in target.relative_to(folder).parts):
            return None
        return target

    def static_file(self, name: str) -> Path | None:
        """A file under ``/static/``: the project's template folder first, then Linked's."""
        source = STATIC_FILES.get(name)
        if source is None:
            return None
        for folder in template_dirs(self.settings):
            if (folder / source).is_file():
                return folder / source
        return None

    def static_files(self) -> Iterator[tuple[str, Path]]:
        for name in STATIC_FILES:
            path = self.static_file(name)
            if path is None:
                raise LinkedError(f"archive file templates/{STATIC_FILES[name]} is missing")
            yield name, path


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every file under ``folder`` (cheap: stat only)."""
    entries = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            entries.append((path, st.st_mtime_ns, st.st_size))
    entries.sort()
    return tuple(entries)
