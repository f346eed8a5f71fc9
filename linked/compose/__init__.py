"""Compose: an :class:`~linked.edition.Edition` into an email's HTML and plain text, once."""

from linked.compose.composer import ComposedEmail, Composer, compose_edition, compose_notice
from linked.compose.slots import SLOTS, fill, greeting
from linked.compose.views import ArticleView, EditionView, Renderer, SectionView

__all__ = [
    "SLOTS",
    "ArticleView",
    "ComposedEmail",
    "Composer",
    "EditionView",
    "Renderer",
    "SectionView",
    "compose_edition",
    "compose_notice",
    "fill",
    "greeting",
]
