"""Every save of an edition file is a revision: who, when, the full text; a diff; a restore.

:func:`save` is how the console writes a file: the compare-and-swap write of
:mod:`linked.authoring.files` plus a :class:`Revision` row in the caller's session (the
caller commits, with its audit row). Restoring is itself a save, so it is checked for
conflicts and kept as a revision too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from linked.accounts.audit import Actor
from linked.authoring import files
from linked.authoring.models import Revision, utcnow
from linked.errors import LinkedError

_PREFIX = re.compile(r"^_?\d*[-_ ]*")


def key_of(name: str) -> str:
    """A file's name without its draft ``_`` and number prefix: stable across reorders."""
    return _PREFIX.sub("", name) or name


def record(
    session: Session,
    actor: Actor,
    path: Path,
    text: str | None,
    version: str,
    action: str,
    *,
    now: datetime | None = None,
) -> Revision:
    """Add one revision row for ``path`` (an edition file) to the session."""
    revision = Revision(
        at=now or utcnow(),
        account_id=actor.account_id,
        actor=actor.name[:320],
        edition=path.parent.name,
        key=key_of(path.name),
        name=path.name,
        action=action[:20],
        version=version,
        text=text,
    )
    session.add(revision)
    return revision


def record_file(
    session: Session, actor: Actor, path: Path, action: str, *, now: datetime | None = None
) -> Revision:
    """Record ``path`` as it is now (a deletion when it is gone)."""
    current = files.read(path)
    return record(session, actor, path, current.text, current.version, action, now=now)


def save(
    session: Session,
    actor: Actor,
    path: Path,
    text: str,
    expected: str,
    *,
    action: str = "save",
    now: datetime | None = None,
) -> str:
    """Write ``path`` if still at version ``expected`` (else :class:`files.Conflict`) and
    record the revision; returns the new version."""
    version = files.write(path, text, expected)
    record(session, actor, path, files.read(path).text, version, action, now=now)
    return version


def history(session: Session, edition: str, name: str) -> Sequence[Revision]:
    """The revisions of one file (by its stable key), newest first."""
    query = (
        select(Revision)
        .where(col(Revision.edition) == edition, col(Revision.key) == key_of(name))
        .order_by(col(Revision.id).desc())
    )
    return session.exec(query).all()


def latest(session: Session, edition: str) -> Revision | None:
    """The newest revision of any file of ``edition``: who changed it last in the console
    (for four-eyes approval; edits made on disk leave no revision)."""
    query = (
        select(Revision)
        .where(col(Revision.edition) == edition)
        .order_by(col(Revision.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def get(session: Session, edition: str, revision_id: int) -> Revision:
    revision = session.get(Revision, revision_id)
    if revision is None or revision.edition != edition:
        raise LinkedError("there is no such revision")
    return revision


def previous(session: Session, revision: Revision) -> Revision | None:
    """The revision of the same file saved just before ``revision``."""
    query = (
        select(Revision)
        .where(
            col(Revision.edition) == revision.edition,
            col(Revision.key) == revision.key,
            col(Revision.id) < (revision.id or 0),
        )
        .order_by(col(Revision.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: ``kind`` is "add", "remove", "hunk" or "same"."""

    kind: str
    text: str


def diff(old: str | None, new: str | None, old_name: str, new_name: str) -> list[DiffLine]:
    """A unified diff of two texts, line by line, ready to show."""
    lines = difflib.unified_diff(
        (old or "").splitlines(),
        (new or "").splitlines(),
        fromfile=old_name,
        tofile=new_name,
        lineterm="",
    )
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "same")
        out.append(DiffLine(kind, line))
    return out


def restore(
    session: Session,
    actor: Actor,
    path: Path,
    revision: Revision,
    expected: str,
    *,
    now: datetime | None = None,
) -> str:
    """Write ``revision``'s text back to ``path`` (a save: conflict-checked, recorded)."""
    if revision.text is None:
        raise LinkedError("that revision records a deletion; there is no text to restore")
    if key_of(path.name) != revision.key or path.parent.name != revision.edition:
        raise LinkedError("that revision belongs to another file")
    return save(session, actor, path, revision.text, expected, action="restore", now=now)
