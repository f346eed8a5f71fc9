"""An edition as the console edits it: new edition, its fields, articles added, deleted
(into ``.trash/``, recoverable), reordered, drafted — written in the documented format.

Fields are written with PyYAML's ``safe_dump`` between ``---`` lines, then the Markdown
body; keys the form does not show (``send_at``, say) are kept as they were. Every write
goes through :mod:`linked.authoring.files`, so nothing here overwrites a change it has
not seen; the caller records revisions (:func:`linked.authoring.revisions.record_file`).
Renaming keeps a file's key (its name without the number and ``_``), so its revisions
follow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from linked.authoring import files, revisions
from linked.edition.loader import EDITION_FILE
from linked.edition.scaffold import ARTICLE_BODY, scaffold_edition
from linked.errors import LinkedError

TRASH = ".trash"
_NUMBERED = re.compile(r"^(_?)(\d+)[-_ ]*(.*)$")
_NAME = re.compile(r"^_?[A-Za-z0-9][A-Za-z0-9._ -]*\.md$")
_STAMP = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class Entry:
    """One article file as the edition page lists it (drafts included)."""

    name: str
    title: str | None
    draft: bool

    @property
    def key(self) -> str:
        return revisions.key_of(self.name)


@dataclass
class ArticleFields:
    """What the article editor's form holds."""

    title: str = ""
    body: str = ""
    section: str = ""
    image: str = ""
    image_alt: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class EditionFields:
    """What the edition page's form holds."""

    title: str = ""
    date: str = ""
    subject: str = ""
    preheader: str = ""
    number: str = ""
    welcome: str = ""


def fenced(text: str) -> tuple[list[str], int] | None:
    """A file's lines and the index of the line that closes its front matter, or None
    when it has no ``---`` … ``---`` (or ``...``) block at the top."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    return None if end is None else (lines, end)


def split(text: str) -> tuple[dict[str, Any], str] | None:
    """A file's front matter and body, or None when the front matter cannot be read."""
    found = fenced(text)
    if found is None:
        return None
    lines, end = found
    try:
        meta = yaml.load("\n".join(lines[1:end]), Loader=_TextLoader)
    except yaml.YAMLError:
        return None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return None
    return {str(k): v for k, v in meta.items()}, "\n".join(lines[end + 1 :]).strip("\n")


class _TextLoader(yaml.SafeLoader):
    """Safe loading that keeps dates as the text written (as the edition loader does)."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML's own class attribute)
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def join(meta: dict[str, Any], body: str) -> str:
    """The documented format: ``---``, the YAML front matter, ``---``, a blank line, body."""
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{head}---\n\n{body.strip()}\n"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def article_fields(text: str) -> ArticleFields | None:
    """The form's fields from an article file, or None if its front matter cannot be read."""
    found = split(text)
    if found is None:
        return None
    meta, body = found
    links = meta.get("links")
    pairs = [
        (_text(item.get("text")), _text(item.get("url")))
        for item in (links if isinstance(links, list) else [])
        if isinstance(item, dict)
    ]
    return ArticleFields(
        _text(meta.get("title")),
        body,
        _text(meta.get("section")),
        _text(meta.get("image")),
        _text(meta.get("image_alt")),
        pairs,
    )


def article_text(fields: ArticleFields, current: str | None = None) -> str:
    """An article file for ``fields``, keeping any other keys of ``current``."""
    found = split(current) if current else None
    meta: dict[str, Any] = {"title": fields.title.strip()}
    for key in ("section", "image", "image_alt"):
        value = getattr(fields, key).strip()
        if value:
            meta[key] = value
    links = [
        {"text": t.strip(), "url": u.strip()} for t, u in fields.links if t.strip() or u.strip()
    ]
    if links:
        meta["links"] = links
    ours = {"title", "section", "image", "image_alt", "links"}
    if found is not None:
        meta.update({k: v for k, v in found[0].items() if k not in ours})
    return join(meta, fields.body)


def edition_fields(text: str) -> EditionFields | None:
    found = split(text)
    if found is None:
        return None
    meta, body = found
    title, when, subject, preheader, number = (
        _text(meta.get(k)) for k in ("title", "date", "subject", "preheader", "number")
    )
    return EditionFields(title, when, subject, preheader, number, body)


def edition_text(fields: EditionFields, current: str | None = None) -> str:
    """An ``edition.md`` for ``fields``, keeping other keys of ``current`` (``send_at``)."""
    meta: dict[str, Any] = {"title": fields.title.strip(), "date": fields.date.strip()}
    for key in ("subject", "preheader"):
        value = getattr(fields, key).strip()
        if value:
            meta[key] = value
    number = fields.number.strip()
    if number:
        meta["number"] = int(number) if number.isdigit() else number
    ours = {"title", "date", "subject", "preheader", "number"}
    found = split(current) if current else None
    if found is not None:
        meta.update({k: v for k, v in found[0].items() if k not in ours})
    return join(meta, fields.welcome)


def new_edition(
    editions_dir: Path, slug: str, title: str, today: date, when: date | None = None
) -> Path:
    """A new edition folder: ``linked new``'s scaffold (the command calls this too)."""
    return scaffold_edition(editions_dir, slug.strip(), title, today, when)


def edition_paths(folder: Path) -> list[Path]:
    """``edition.md`` and every article file (drafts too), for recording revisions."""
    return [folder / EDITION_FILE, *(folder / e.name for e in entries(folder))]


def _article_paths(folder: Path) -> list[Path]:
    """The article files (drafts too) in sending order."""
    paths = [
        p
        for p in folder.glob("*.md")
        if p.name != EDITION_FILE and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(paths, key=lambda p: (p.name.lstrip("_"), p.name))


def entries(folder: Path) -> list[Entry]:
    """The articles (drafts too) in sending order."""
    out = []
    for path in _article_paths(folder):
        found = split(files.read(path).text or "")
        title = found[0].get("title") if found else None
        out.append(Entry(path.name, _text(title) or None, path.name.startswith("_")))
    return out


#: ``![alt](images/name)`` in an article's text.
_BODY_IMAGE = re.compile(r"!\[([^\]\n]+)\]\(images/([^)\s]+)\)")


def image_alts(folder: Path) -> dict[str, str]:
    """The alt text the articles already give each image of ``images/``, by file name.

    From an article's ``image``/``image_alt`` and from ``![alt](images/…)`` in its
    text; the first article (in sending order) that describes an image wins. Images
    placed by hand, not uploaded in the console, have no alt text of their own.
    """
    found: dict[str, str] = {}
    for path in _article_paths(folder):
        parsed = split(files.read(path).text or "")
        if parsed is None:
            continue
        meta, body = parsed
        image, alt = _text(meta.get("image")), " ".join(_text(meta.get("image_alt")).split())
        if image.startswith("images/") and alt:
            found.setdefault(image.removeprefix("images/"), alt)
        for match in _BODY_IMAGE.finditer(body):
            found.setdefault(match.group(2), " ".join(match.group(1).split()))
    return found


def article_path(folder: Path, name: str) -> Path:
    """An article's file from its name in a URL; refuses anything but a plain article name."""
    if not _NAME.match(name) or name == EDITION_FILE:
        raise LinkedError(f"there is no article {name!r}")
    return folder / name


def _slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
    return words[:40].strip("-") or "article"


def add_article(folder: Path, title: str) -> Path:
    """A new article at the end, with ``title`` and the placeholder body to replace."""
    if not title.strip():
        raise LinkedError("give the new article a title")
    listed = entries(folder)
    number = 1 + max((_number(e.name) for e in listed), default=0)
    keys = {e.key for e in listed}
    stem, n = _slug(title), 1
    while f"{stem}.md" in keys:
        n += 1
        stem = f"{_slug(title)}-{n}"
    path = folder / f"{number:02d}-{stem}.md"
    files.write(path, join({"title": title.strip()}, ARTICLE_BODY), files.MISSING)
    return path


def _number(name: str) -> int:
    match = _NUMBERED.match(name)
    return int(match[2]) if match else 0


def delete_article(
    folder: Path, name: str, expected: str | None = None, *, now: datetime | None = None
) -> str:
    """Move an article into ``.trash/`` (the loader ignores it); returns its name there.

    With ``expected`` (the version the page showed), refuse if it changed meanwhile.
    """
    path = article_path(folder, name)
    if not path.is_file():
        raise LinkedError(f"{name} no longer exists; reload the page")
    trashed = f"{(now or datetime.now(UTC)).strftime(_STAMP)}-{name}"
    files.rename(path, folder / TRASH / trashed, expected)
    return trashed


def trash(folder: Path) -> list[tuple[str, str]]:
    """Deleted articles, newest first: (name in the trash, original name)."""
    bin_ = folder / TRASH
    if not bin_.is_dir():
        return []
    names = sorted((p.name for p in bin_.glob("*.md")), reverse=True)
    return [(n, n.split("-", 1)[1] if "-" in n else n) for n in names]


def restore_article(folder: Path, trashed: str) -> Path:
    """Bring an article back from the trash (at the end if its number is taken)."""
    originals = dict(trash(folder))
    if trashed not in originals:
        raise LinkedError("that article is not in the trash")
    name = originals[trashed]
    listed = entries(folder)
    if any(e.key == revisions.key_of(name) for e in listed):
        raise LinkedError(f"an article named like {name} exists; rename it first")
    if any(_number(e.name) == _number(name) for e in listed) or not _NUMBERED.match(name):
        number = 1 + max((_number(e.name) for e in listed), default=0)
        name = f"{'_' if name.startswith('_') else ''}{number:02d}-{revisions.key_of(name)}"
    target = folder / name
    files.rename(folder / TRASH / trashed, target)
    return target


def _renamed(entry: Entry, position: int, draft: bool) -> str:
    return f"{'_' if draft else ''}{position:02d}-{entry.key}"


def move(folder: Path, name: str, step: int) -> list[Entry]:
    """Move an article up (``step`` -1) or down (+1): the files are renumbered 01, 02, …"""
    listed = entries(folder)
    index = next((i for i, e in enumerate(listed) if e.name == name), None)
    if index is None:
        raise LinkedError(f"{name} no longer exists; reload the page")
    other = index + step
    if 0 <= other < len(listed):
        listed[index], listed[other] = listed[other], listed[index]
    _renumber(folder, listed, {})
    return entries(folder)


def set_draft(folder: Path, name: str, draft: bool) -> str:
    """Make an article a draft (``_`` prefix: not sent) or not; returns its new name."""
    listed = entries(folder)
    if not any(e.name == name for e in listed):
        raise LinkedError(f"{name} no longer exists; reload the page")
    return _renumber(folder, listed, {name: draft})[name]


def _renumber(folder: Path, listed: list[Entry], drafts: dict[str, bool]) -> dict[str, str]:
    names = {e.name: _renamed(e, i, drafts.get(e.name, e.draft)) for i, e in enumerate(listed, 1)}
    files.rename_all(folder, [(old, new) for old, new in names.items() if old != new])
    return names
