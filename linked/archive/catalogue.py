"""Which editions the public archive shows: every loadable, published edition, newest first.

Publication rule (the archive must never get ahead of the inbox): an edition is
published once **both** its ``date`` has arrived in the configured time zone
**and**, when it has a ``send_at``, that moment has passed. An edition dated
tomorrow, or dated today but scheduled for 17:00, stays out of the index, the
feed, the search index and the live router (which answers 404) until then.
Broken editions are skipped and reported, never fatal: one bad folder must not
take the whole archive down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from linked.edition import Edition, load_edition
from linked.errors import EditionError, Problem


@dataclass(frozen=True)
class Skipped:
    """An edition folder that could not be loaded, with every problem found in it."""

    folder: Path
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Catalogue:
    """Published editions newest first; ``unpublished`` and ``skipped`` say what was left out."""

    editions: tuple[Edition, ...]
    unpublished: tuple[Edition, ...] = ()
    skipped: tuple[Skipped, ...] = field(default=())

    def find(self, slug: str) -> Edition | None:
        return next((e for e in self.editions if e.slug == slug), None)


def edition_folders(editions_dir: Path) -> list[Path]:
    """Candidate folders; names starting with ``.`` or ``_`` are drafts or tooling."""
    if not editions_dir.is_dir():
        return []
    return sorted(
        p for p in editions_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def is_published(edition: Edition, now: datetime, zone: ZoneInfo) -> bool:
    """True once the edition's date has come (in ``zone``) and its ``send_at`` has passed."""
    local = now.astimezone(zone)
    if edition.date > local.date():
        return False
    send_at = edition.send_at
    if send_at is not None:
        # A naive send_at (no zone configured at load time) is read in the archive's zone.
        if send_at.tzinfo is None:
            send_at = send_at.replace(tzinfo=zone)
        if send_at > now:
            return False
    return True


def newest_first(editions: Iterable[Edition]) -> tuple[Edition, ...]:
    # Number and slug break ties so two editions on one day keep a stable order.
    return tuple(sorted(editions, key=lambda e: (e.date, e.number or 0, e.slug), reverse=True))


def load_all(editions_dir: Path, zone: ZoneInfo) -> tuple[list[Edition], list[Skipped]]:
    """Load every edition folder, collecting the broken ones instead of raising."""
    loaded: list[Edition] = []
    skipped: list[Skipped] = []
    for folder in edition_folders(editions_dir):
        try:
            loaded.append(load_edition(folder, zone))
        except EditionError as exc:
            skipped.append(Skipped(folder, tuple(exc.problems)))
    return loaded, skipped


def catalogue(
    loaded: Iterable[Edition], skipped: Iterable[Skipped], now: datetime, zone: ZoneInfo
) -> Catalogue:
    """Split loaded editions into published and not yet published at ``now``."""
    published: list[Edition] = []
    waiting: list[Edition] = []
    for edition in loaded:
        (published if is_published(edition, now, zone) else waiting).append(edition)
    return Catalogue(newest_first(published), newest_first(waiting), tuple(skipped))


def load_catalogue(editions_dir: Path, zone: ZoneInfo, now: datetime) -> Catalogue:
    """Everything under ``editions_dir`` as the public should see it at ``now`` (tz-aware)."""
    loaded, skipped = load_all(editions_dir, zone)
    return catalogue(loaded, skipped, now, zone)
