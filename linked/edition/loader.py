"""Load an edition folder (``edition.md`` + one Markdown file per article + ``images/``).

Every problem is collected — a policy officer fixes a file in one pass, not one
error per run — and raised together as an :class:`EditionError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from linked.edition.frontmatter import Document, FrontMatterError, parse
from linked.edition.model import Article, Edition, Link
from linked.errors import EditionError, Problem

EDITION_FILE = "edition.md"
EDITION_KEYS = {"title", "date", "subject", "preheader", "number", "send_at"}
ARTICLE_KEYS = {"title", "image", "image_alt", "section", "links"}
_PREFIX = re.compile(r"^\d+[-_ ]*")


class _Fields:
    """Reads typed fields from one document, recording a problem (with its line) per bad field."""

    def __init__(self, path: Path, doc: Document, allowed: set[str], problems: list[Problem]):
        self.path, self.doc, self.problems = path, doc, problems
        for key in doc.meta:
            if key not in allowed:
                self.fail(key, f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def fail(self, key: str | None, message: str) -> None:
        line = self.doc.key_lines.get(key, 1) if key else 1
        self.problems.append(Problem(self.path, message, line))

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.doc.meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(key if key in self.doc.meta else None, f"'{key}' is required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(key, f"'{key}' must be text")
            return None
        return str(value).strip()

    def parsed(
        self, key: str, parser: Callable[[str], Any], hint: str, *, required: bool = False
    ) -> Any:
        raw = self.text(key, required=required)
        if raw is None:
            return None
        try:
            return parser(raw)
        except ValueError:
            self.fail(key, f"'{key}' must be {hint}, got {raw!r}")
            return None


def _iso_date(raw: str) -> date:
    return date.fromisoformat(raw)


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def article_files(folder: Path) -> list[Path]:
    """The article files of an edition folder, in sending (filename) order."""
    return sorted(
        p
        for p in folder.glob("*.md")
        if p.name != EDITION_FILE and not p.name.startswith(("_", "."))
    )


def load_edition(folder: Path, zone: ZoneInfo | None = None) -> Edition:
    """Load and validate ``folder``; naive ``send_at`` times are read in ``zone``."""
    folder = folder.resolve()
    problems: list[Problem] = []
    if not folder.is_dir():
        raise EditionError([Problem(folder, "edition folder does not exist")])
    article_paths = article_files(folder)
    head = folder / EDITION_FILE
    if not head.is_file():
        if not article_paths:
            raise EditionError(
                [Problem(folder, "edition folder is empty: it needs edition.md and article files")]
            )
        raise EditionError([Problem(head, "missing: every edition needs an edition.md")])

    edition_meta = _read_head(head, zone, problems)
    articles = [a for p in article_paths if (a := _read_article(folder, p, problems))]
    if not article_paths:
        problems.append(Problem(folder, "no articles: add at least one NN-name.md file"))
    _check_unique_anchors(articles, problems)
    if problems or edition_meta is None:
        raise EditionError(problems)
    return Edition(
        path=folder,
        slug=folder.name,
        articles=tuple(articles),
        images=tuple(sorted({a.image for a in articles if a.image})),
        **edition_meta,
    )


def _read_head(path: Path, zone: ZoneInfo | None, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        doc = parse(path)
    except FrontMatterError as exc:
        problems.append(exc.problem)
        return None
    f = _Fields(path, doc, EDITION_KEYS, problems)
    before = len(problems)
    title = f.text("title", required=True)
    meta = {
        "title": title,
        "date": f.parsed("date", _iso_date, "an ISO date like 2021-05-28", required=True),
        "subject": f.text("subject") or title,
        "preheader": f.text("preheader"),
        "number": f.parsed("number", _positive_int, "a whole number from 1"),
        "send_at": f.parsed(
            "send_at",
            lambda raw: _datetime(raw, zone),
            "an ISO date and time like 2021-05-28T09:00",
        ),
        "welcome": doc.body,
        "welcome_line": doc.body_line,
    }
    return meta if len(problems) == before else None


def _datetime(raw: str, zone: ZoneInfo | None) -> datetime:
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None and zone is not None:
        value = value.replace(tzinfo=zone)
    return value


def _read_article(folder: Path, path: Path, problems: list[Problem]) -> Article | None:
    try:
        doc = parse(path)
    except FrontMatterError as exc:
        problems.append(exc.problem)
        return None
    f = _Fields(path, doc, ARTICLE_KEYS, problems)
    before = len(problems)
    title = f.text("title", required=True)
    image = f.text("image")
    image_alt = f.text("image_alt")
    if image is not None:
        _check_image(folder, f, image)
        if image_alt is None:
            f.fail(
                "image",
                "'image_alt' is required with 'image': "
                "describe the picture for people who cannot see it",
            )
    elif "image_alt" in doc.meta:
        f.fail("image_alt", "'image_alt' is set but there is no 'image'")
    links = _links(f)
    if len(problems) != before or title is None:
        return None
    return Article(
        path=path,
        anchor=_PREFIX.sub("", path.stem) or path.stem,
        title=title,
        body=doc.body,
        body_line=doc.body_line,
        image=image,
        image_alt=image_alt,
        section=f.text("section"),
        links=links,
    )


def _check_image(folder: Path, f: _Fields, image: str) -> None:
    if "://" in image or image.startswith(("/", "\\")):
        f.fail(
            "image",
            f"image {image!r} must be a path inside the edition folder, like images/photo.jpg",
        )
        return
    target = (folder / image).resolve()
    if not target.is_relative_to(folder):
        f.fail("image", f"image {image!r} points outside the edition folder")
    elif not target.is_file():
        f.fail("image", f"image {image!r} does not exist")


def _links(f: _Fields) -> tuple[Link, ...]:
    raw = f.doc.meta.get("links")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        f.fail("links", "'links' must be a list of {text, url} items")
        return ()
    links = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) != {"text", "url"}:
            f.fail("links", f"links item {i} must have exactly 'text' and 'url'")
            continue
        text, url = item["text"], item["url"]
        if not (isinstance(text, str) and text.strip() and isinstance(url, str) and url.strip()):
            f.fail("links", f"links item {i} needs non-empty 'text' and 'url'")
            continue
        links.append(Link(text.strip(), url.strip()))
    return tuple(links)


def _check_unique_anchors(articles: list[Article], problems: list[Problem]) -> None:
    seen: dict[str, Path] = {}
    for article in articles:
        if article.anchor in seen:
            problems.append(
                Problem(
                    article.path,
                    f"has the same name as {seen[article.anchor].name} "
                    "apart from its number; rename one",
                )
            )
        seen[article.anchor] = article.path
