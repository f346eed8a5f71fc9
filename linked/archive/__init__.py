"""The public archive: every published edition as web pages, a feed and a search index.

``Archive(settings)`` renders each page; ``build_archive`` writes them all as
a static site and :mod:`linked.web.archive` serves the same pages live.
"""

from linked.archive.build import ArchiveBuild, build_archive
from linked.archive.catalogue import Catalogue, Skipped, is_published, load_catalogue
from linked.archive.site import Archive

__all__ = [
    "Archive",
    "ArchiveBuild",
    "Catalogue",
    "Skipped",
    "build_archive",
    "is_published",
    "load_catalogue",
]
