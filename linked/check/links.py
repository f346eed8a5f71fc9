"""Lint of one URL in an edition: scheme, ``mailto:`` form, local hosts and relative files.

Every link and image an edition uses passes through :func:`lint_url`, whether it
comes from a Markdown body or from an article's ``links`` front matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from linked.compose.urls import host_kind, is_relative
from linked.errors import Problem

#: ("error" | "warning", the problem)
Finding = tuple[str, Problem]

VAGUE_LINK_TEXT = re.compile(
    r"^\s*(click here|here|read more|more|link|this link|click|learn more|find out more|this)\W*$",
    re.IGNORECASE,
)
_ATOM = r"[^@\s<>(),;:\"\[\]\\]+"
_ADDRESS = re.compile(rf"{_ATOM}@{_ATOM}\.{_ATOM}")


def lint_url(
    path: Path, line: int | None, text: str, url: str, folder: Path, *, image: bool = False
) -> Iterator[Finding]:
    """Everything wrong with a link (or image) ``url`` shown as ``text``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    what = "image" if image else "link"
    if not url.strip():
        yield "error", Problem(path, f"{what} {text!r} has an empty URL", line)
    elif scheme == "mailto" and not image:
        if not _valid_mailto(parts.path):
            yield (
                "error",
                Problem(
                    path,
                    f"link {url!r} is not a working mailto: link; "
                    "write it as mailto:name@example.org",
                    line,
                ),
            )
    elif scheme in ("https", "http"):
        if scheme == "http":
            yield "warning", Problem(path, f"{what} {url!r} is not https; prefer https://", line)
        yield from _lint_host(path, line, what, url, parts.hostname or "")
    elif scheme or not is_relative(url):
        yield (
            "error",
            Problem(
                path,
                f"{what} {url!r}: only https://, http:// and mailto: links work in email",
                line,
            ),
        )
    elif parts.path and not _exists(folder, unquote(parts.path)):
        yield "error", Problem(path, f"{what} {url!r} does not exist in the edition folder", line)
    if not image and VAGUE_LINK_TEXT.match(text):
        yield (
            "warning",
            Problem(
                path,
                f"link text {text.strip()!r} says nothing on its own; describe where it goes",
                line,
            ),
        )


def _lint_host(path: Path, line: int | None, what: str, url: str, host: str) -> Iterator[Finding]:
    kind = host_kind(host)
    if kind == "local":
        yield (
            "error",
            Problem(
                path,
                f"{what} {url!r} points at {host}, the computer it is opened on: "
                "readers cannot reach it; use the public address",
                line,
            ),
        )
    elif kind == "private":
        yield (
            "warning",
            Problem(
                path,
                f"{what} {url!r} points at {host}, a private network address: "
                "readers outside that network cannot reach it",
                line,
            ),
        )


def _valid_mailto(addresses: str) -> bool:
    found = [a.strip() for a in unquote(addresses).split(",")]
    return bool(found) and all(_ADDRESS.fullmatch(a) for a in found)


def _exists(folder: Path, relative: str) -> bool:
    target = (folder / relative).resolve()
    return target.is_relative_to(folder.resolve()) and target.exists()
