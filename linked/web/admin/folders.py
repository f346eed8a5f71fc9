"""The edition folder a console URL names, or a 404 page (never a path outside ``editions/``).

Any folder that is a plain name opens, so an edition made on disk shows as it is."""

from __future__ import annotations

import re
from pathlib import Path

from linked.settings import Settings
from linked.web.admin.render import Refused

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def edition_folder(settings: Settings, slug: str) -> Path:
    """``editions/<slug>/`` when ``slug`` is a plain name of an existing edition folder."""
    folder = settings.editions_dir / slug
    if not _SLUG.match(slug) or ".." in slug or not folder.is_dir():
        raise Refused(404, "No such edition", f"There is no edition called “{slug[:80]}”.")
    return folder
