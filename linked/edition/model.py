"""The edition as data: what the loader produces and everything downstream reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from pathlib import Path


@dataclass(frozen=True)
class Link:
    """A call-to-action button under an article."""

    text: str
    url: str


@dataclass(frozen=True)
class Article:
    """One article file. ``body`` is CommonMark; ``body_line`` is where it starts in the file."""

    path: Path
    anchor: str
    title: str
    body: str
    body_line: int = 1
    image: str | None = None
    image_alt: str | None = None
    section: str | None = None
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Section:
    """Consecutive articles sharing a ``section`` heading (``title`` None: no heading)."""

    title: str | None
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Edition:
    """An edition folder, validated. ``welcome`` is the CommonMark body of ``edition.md``."""

    path: Path
    slug: str
    title: str
    date: date
    welcome: str
    articles: tuple[Article, ...]
    subject: str
    preheader: str | None = None
    number: int | None = None
    send_at: datetime | None = None
    welcome_line: int = 1
    images: tuple[str, ...] = field(default=())

    @property
    def sections(self) -> tuple[Section, ...]:
        """Articles grouped under their section headings, keeping filename order."""
        return tuple(
            Section(title, tuple(group))
            for title, group in groupby(self.articles, key=lambda a: a.section)
        )
