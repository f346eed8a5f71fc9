"""The public archive as ``linked archive build`` writes it: with each edition corrected
after its send marked "Corrected on DATE", as the live archive shows it.

The sends' record is in the database; a project without one yet (nothing sent) builds
the archive without it rather than creating an empty database file.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from linked.archive.build import ArchiveBuild, build_archive
from linked.archive.site import Archive
from linked.db.engine import make_engine
from linked.reports.corrections import Corrections
from linked.settings import Settings


def _existing_database(settings: Settings) -> Engine | None:
    url = make_url(settings.database)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None
    return make_engine(settings)


def build_public_archive(settings: Settings, out: Path) -> ArchiveBuild:
    """Render every published edition to ``out``, with its correction date if any."""
    engine = _existing_database(settings)
    try:
        corrections = Corrections(settings, engine) if engine is not None else None
        return build_archive(settings, out, Archive(settings, corrections=corrections))
    finally:
        if engine is not None:
            engine.dispose()
