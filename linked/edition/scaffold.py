"""``linked new``: a fresh edition folder with a welcome and one example article.

The example text is meant to be replaced: :data:`PLACEHOLDERS` lists its
sentences, and ``linked check`` reports any still there as an error.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from linked.errors import LinkedError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: A slug that names a month (``2021-06``) or a day (``2021-06-15``), maybe with more after.
_DATED = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?(?:-|$)")

PREHEADER = "One sentence that mail programs show after the subject"
WELCOME = "Welcome to this edition. This text opens the bulletin."
ARTICLE_TITLE = "Your first article"
ARTICLE_BODY = "Write the article here in Markdown."
LINK_URL = "https://example.org/report"

#: Example sentences of a new edition; left unchanged, they must not be sent.
PLACEHOLDERS = (PREHEADER, WELCOME, ARTICLE_TITLE, ARTICLE_BODY, LINK_URL)

_ARTICLE = f"""---
title: {ARTICLE_TITLE}
# image: images/picture.jpg
# image_alt: What the picture shows, for people who cannot see it
# section: Coming to a place near you
links:
  - text: Read the full report
    url: {LINK_URL}
---
{ARTICLE_BODY} Articles are sent in filename order:
name the next one `02-something.md`.
"""


def default_date(slug: str, today: date) -> date:
    """The edition's date: the day a slug names; for a month, today if in it, else the 1st."""
    match = _DATED.match(slug)
    if match is None:
        return today
    year, month = int(match[1]), int(match[2])
    day = int(match[3]) if match[3] else None
    try:
        if day is not None:
            return date(year, month, day)
        named = date(year, month, 1)
    except ValueError:
        return today
    return today if (today.year, today.month) == (year, month) else named


def scaffold_edition(
    editions_dir: Path, slug: str, title: str, today: date, when: date | None = None
) -> Path:
    """Create ``editions_dir/slug`` and return it; refuses to overwrite an existing edition.

    The date is ``when`` if given, else :func:`default_date` of the slug.
    """
    if not _SLUG.match(slug):
        raise LinkedError(
            f"edition name {slug!r} must be lower-case letters, digits and dashes, like 2021-06"
        )
    if not title.strip():
        raise LinkedError("the title must not be empty")
    folder = editions_dir / slug
    if folder.exists():
        raise LinkedError(f"{folder} already exists; choose another name")
    edition_date = when or default_date(slug, today)
    (folder / "images").mkdir(parents=True)
    # json.dumps gives a valid double-quoted YAML string for any title.
    (folder / "edition.md").write_text(
        f"---\ntitle: {json.dumps(title.strip(), ensure_ascii=False)}\n"
        f"date: {edition_date.isoformat()}\n"
        "# subject: defaults to the title\n"
        f"preheader: {PREHEADER}\n"
        "---\n"
        f"{WELCOME}\n",
        encoding="utf-8",
    )
    (folder / "01-first-article.md").write_text(_ARTICLE, encoding="utf-8")
    return folder
