"""``linked check``: the loader's errors plus lint of the composed email.

Errors stop a send; warnings are advice. Each finding names its file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from markdown_it.tree import SyntaxTreeNode

from linked.check.leftovers import lint_leftovers
from linked.check.links import Finding, lint_url
from linked.compose import ComposedEmail, Composer
from linked.compose.markdown import parser
from linked.edition import Edition, load_edition
from linked.edition.frontmatter import body_of
from linked.edition.loader import EDITION_FILE, article_files
from linked.errors import EditionError, Problem
from linked.settings import CONFIG_FILE, Settings
from linked.transport.guard import local_setting_problems

#: Gmail clips messages whose HTML is larger than this; readers then miss the footer.
GMAIL_CLIP_BYTES = 102 * 1024
SUBJECT_MAX = 78


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

    def add(self, findings: Iterable[Finding]) -> None:
        """File each finding under errors or warnings, skipping one already reported."""
        for severity, problem in findings:
            target = self.errors if severity == "error" else self.warnings
            if problem not in target:
                target.append(problem)


def check_edition(
    settings: Settings, folder: Path, composer: Composer | None = None
) -> CheckReport:
    """Load, compose and lint an edition; never raises for a problem in the files.

    Everything is reported in one pass: when the front matter has errors the
    bodies are still linted, so the author sees the whole list at once.
    """
    report = CheckReport()
    report.add(_lint_settings(settings))
    try:
        edition = load_edition(folder, settings.zone)
    except EditionError as exc:
        report.errors = list(exc.problems)
        report.add(_lint_bodies(folder.resolve()))
        report.add(lint_leftovers(_files(folder.resolve())))
        return report
    report.edition = edition
    composed = (composer or Composer(settings)).edition(edition)
    report.composed = composed
    report.add(lint(edition, composed))
    report.add(lint_leftovers(_files(edition.path)))
    return report


def _lint_settings(settings: Settings) -> Iterator[Finding]:
    """Settings that would make a send over SMTP refuse to start (a warning here)."""
    if settings.allow_local_links:
        return
    for message in local_setting_problems(settings):
        yield (
            "warning",
            Problem(
                settings.root / CONFIG_FILE, f"{message} (until then, sending over SMTP is refused)"
            ),
        )


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    head = folder / EDITION_FILE
    return ([head] if head.is_file() else []) + article_files(folder)


def _lint_bodies(folder: Path) -> Iterator[Finding]:
    """The Markdown lint of every body, read without its (broken) front matter."""
    for path in _files(folder):
        found = body_of(path)
        if found is not None:
            yield from _lint_markdown(path, found[0], found[1], folder)


def lint(edition: Edition, composed: ComposedEmail) -> Iterator[Finding]:
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
            yield from lint_url(article.path, None, link.text, link.url, edition.path)
    yield from _lint_html(head, composed.html)


def _lint_markdown(path: Path, body: str, first_line: int, folder: Path) -> Iterator[Finding]:
    for block in parser().parse(body):
        if block.type != "inline" or not block.children:
            continue
        line = first_line + block.map[0] if block.map else None
        for node in SyntaxTreeNode(block.children).children:
            yield from _lint_inline(path, line, node, folder)


def _lint_inline(
    path: Path, line: int | None, node: SyntaxTreeNode, folder: Path
) -> Iterator[Finding]:
    words = "".join(t.content for t in node.walk() if t.type in ("text", "code_inline"))
    if node.type == "link":
        yield from lint_url(path, line, words, str(node.attrs.get("href", "")), folder)
    elif node.type == "image":
        src = str(node.attrs.get("src", ""))
        if not words.strip():
            yield (
                "error",
                Problem(
                    path, f"image {src!r} has no alt text: write ![what it shows]({src})", line
                ),
            )
        yield from lint_url(path, line, words or src, src, folder, image=True)
    for child in node.children:
        if node.type not in ("link", "image"):
            yield from _lint_inline(path, line, child, folder)


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
#: An ``<img>`` start tag; quoted attribute values may hold ``>``.
_IMG = re.compile(r"""<img\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_ALT = re.compile(r"(?:^|\s)alt(?:\s*=|[\s/]|$)", re.IGNORECASE)
_SRC = re.compile(r"""(?:^|\s)src\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)


def _lint_html(path: Path, html: str) -> Iterator[Finding]:
    """Every ``<img>`` of the composed email has an ``alt`` attribute.

    A scan of the start tags (outside comments) rather than a parse into a tree: the
    composed HTML is generated and well formed, and this runs on every live preview.
    """
    for img in _IMG.finditer(_COMMENT.sub("", html)):
        attributes = img.group(1)
        if _ALT.search(attributes) is None:
            found = _SRC.search(attributes)
            src = unescape(found.group(1).strip("\"'")) if found else None
            yield (
                "error",
                Problem(path, f"an image in the email has no alt attribute: {src}"),
            )
