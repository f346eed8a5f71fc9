"""``linked check``: the loader's errors plus lint of the composed email.

Errors stop a send; warnings are advice. Each finding names its file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from markdown_it.tree import SyntaxTreeNode

from linked.compose import ComposedEmail, Composer
from linked.compose.markdown import parser
from linked.compose.urls import is_relative
from linked.edition import Edition, load_edition
from linked.errors import EditionError, Problem
from linked.settings import Settings

#: Gmail clips messages whose HTML is larger than this; readers then miss the footer.
GMAIL_CLIP_BYTES = 102 * 1024
SUBJECT_MAX = 78
VAGUE_LINK_TEXT = re.compile(
    r"^\s*(click here|here|read more|more|link|this link|click|learn more|find out more|this)\W*$",
    re.IGNORECASE,
)


@dataclass
class CheckReport:
    """What ``linked check`` found. ``ok`` is false when there is any error."""

    edition: Edition | None = None
    composed: ComposedEmail | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_edition(
    settings: Settings, folder: Path, composer: Composer | None = None
) -> CheckReport:
    """Load, compose and lint an edition; never raises for a problem in the files."""
    report = CheckReport()
    try:
        edition = load_edition(folder, settings.zone)
    except EditionError as exc:
        report.errors = list(exc.problems)
        return report
    report.edition = edition
    composed = (composer or Composer(settings)).edition(edition)
    report.composed = composed
    for severity, problem in lint(edition, composed):
        (report.errors if severity == "error" else report.warnings).append(problem)
    return report


def lint(edition: Edition, composed: ComposedEmail) -> Iterator[tuple[str, Problem]]:
    """Yield ``("error"|"warning", problem)`` for everything worth telling the author."""
    head = edition.path / "edition.md"
    if len(edition.subject) > SUBJECT_MAX:
        yield (
            "warning",
            Problem(
                head,
                f"subject is {len(edition.subject)} characters; "
                f"over {SUBJECT_MAX} is cut off in many inboxes",
            ),
        )
    if not edition.preheader:
        yield (
            "warning",
            Problem(head, "no preheader: inboxes will show the first words of the email instead"),
        )
    size = len(composed.html.encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        yield (
            "error",
            Problem(
                head,
                f"the email's HTML is {size // 1024} KB; "
                "Gmail clips anything over 102 KB (shorten the edition)",
            ),
        )
    yield from _lint_markdown(head, edition.welcome, edition.welcome_line, edition.path)
    for article in edition.articles:
        yield from _lint_markdown(article.path, article.body, article.body_line, edition.path)
        for link in article.links:
            yield from _lint_link(article.path, None, link.text, link.url)
    yield from _lint_html(head, composed.html)


def _lint_markdown(
    path: Path, body: str, first_line: int, folder: Path
) -> Iterator[tuple[str, Problem]]:
    for block in parser().parse(body):
        if block.type != "inline" or not block.children:
            continue
        line = first_line + block.map[0] if block.map else None
        for node in SyntaxTreeNode(block.children).children:
            yield from _lint_inline(path, line, node, folder)


def _lint_inline(
    path: Path, line: int | None, node: SyntaxTreeNode, folder: Path
) -> Iterator[tuple[str, Problem]]:
    words = "".join(t.content for t in node.walk() if t.type in ("text", "code_inline"))
    if node.type == "link":
        yield from _lint_link(path, line, words, str(node.attrs.get("href", "")))
    elif node.type == "image":
        src = str(node.attrs.get("src", ""))
        if not words.strip():
            yield (
                "error",
                Problem(
                    path, f"image {src!r} has no alt text: write ![what it shows]({src})", line
                ),
            )
        if is_relative(src):
            target = (folder / src).resolve()
            if not target.is_relative_to(folder) or not target.is_file():
                yield (
                    "error",
                    Problem(path, f"image {src!r} does not exist in the edition folder", line),
                )
        else:
            yield from _lint_link(path, line, words or src, src, image=True)
    for child in node.children:
        if node.type not in ("link", "image"):
            yield from _lint_inline(path, line, child, folder)


def _lint_link(
    path: Path, line: int | None, text: str, url: str, *, image: bool = False
) -> Iterator[tuple[str, Problem]]:
    scheme = urlsplit(url).scheme.lower()
    what = "image" if image else "link"
    if not url.strip():
        yield "error", Problem(path, f"{what} {text!r} has an empty URL", line)
    elif scheme in ("https",) or (scheme == "mailto" and not image):
        pass
    elif scheme == "http":
        yield "warning", Problem(path, f"{what} {url!r} is not https; prefer https://", line)
    elif scheme or not is_relative(url):
        yield (
            "error",
            Problem(
                path,
                f"{what} {url!r}: only https://, http:// and mailto: links work in email",
                line,
            ),
        )
    if not image and VAGUE_LINK_TEXT.match(text):
        yield (
            "warning",
            Problem(
                path,
                f"link text {text.strip()!r} says nothing on its own; describe where it goes",
                line,
            ),
        )


def _lint_html(path: Path, html: str) -> Iterator[tuple[str, Problem]]:
    soup = BeautifulSoup(html, "html.parser")
    for img in soup.find_all("img"):
        if img.get("alt") is None:
            yield (
                "error",
                Problem(path, f"an image in the email has no alt attribute: {img.get('src')}"),
            )
