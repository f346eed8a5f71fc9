"""``linked new``: a fresh edition folder with a welcome and one example article."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from linked.errors import LinkedError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

_ARTICLE = """---
title: Your first article
# image: images/picture.jpg
# image_alt: What the picture shows, for people who cannot see it
# section: Coming to a place near you
links:
  - text: Read the full report
    url: https://example.org/report
---
Write the article here in Markdown. Articles are sent in filename order:
name the next one `02-something.md`.
"""


def scaffold_edition(editions_dir: Path, slug: str, title: str, today: date) -> Path:
    """Create ``editions_dir/slug`` and return it; refuses to overwrite an existing edition."""
    if not _SLUG.match(slug):
        raise LinkedError(
            f"edition name {slug!r} must be lower-case letters, digits and dashes, like 2021-06"
        )
    if not title.strip():
        raise LinkedError("the title must not be empty")
    folder = editions_dir / slug
    if folder.exists():
        raise LinkedError(f"{folder} already exists; choose another name")
    (folder / "images").mkdir(parents=True)
    # json.dumps gives a valid double-quoted YAML string for any title.
    (folder / "edition.md").write_text(
        f"---\ntitle: {json.dumps(title.strip(), ensure_ascii=False)}\n"
        f"date: {today.isoformat()}\n"
        "# subject: defaults to the title\n"
        "preheader: One sentence that mail programs show after the subject\n"
        "---\n"
        "Welcome to this edition. This text opens the bulletin.\n",
        encoding="utf-8",
    )
    (folder / "01-first-article.md").write_text(_ARTICLE, encoding="utf-8")
    return folder
