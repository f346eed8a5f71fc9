"""Editions: the files a policy officer writes, loaded into plain data.

``load_edition(folder)`` returns an :class:`Edition` or raises
:class:`~linked.errors.EditionError` listing every problem found.
"""

from linked.edition.loader import load_edition
from linked.edition.model import Article, Edition, Link, Section
from linked.edition.scaffold import scaffold_edition

__all__ = ["Article", "Edition", "Link", "Section", "load_edition", "scaffold_edition"]
