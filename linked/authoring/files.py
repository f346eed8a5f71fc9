"""The only writer of edition files: atomic writes and compare-and-swap on a version token.

A file's version is the SHA-256 of its bytes (:data:`MISSING` for no file). A form carries
the version it started from; :func:`write` refuses with :class:`Conflict` when the file
has changed since — saved by another person, or edited on disk — so a save never
overwrites a change it has not seen. Writes go to a temporary file in the same folder,
then ``os.replace``: a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from linked.edition.loader import EDITION_FILE, article_files
from linked.errors import LinkedError

#: The version of a file that does not exist (a form that creates one carries this).
MISSING = ""

_LOCK = threading.Lock()


def version_of(data: bytes | None) -> str:
    """The version token of a file's bytes (None: no file)."""
    return MISSING if data is None else hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Versioned:
    """A file's text as it is on disk (``None``: no such file) and its version."""

    text: str | None
    version: str


class Conflict(LinkedError):
    """The file changed since the version the form carried; nothing was written.

    ``mine`` is the text the save would have written, ``theirs`` the file as it is now
    (None if it was removed), so the page can show both and lose neither.
    """

    def __init__(
        self, path: Path, expected: str, current: Versioned, mine: str | None = None
    ) -> None:
        self.path, self.expected, self.current, self.mine = path, expected, current, mine
        super().__init__(
            f"{path.name} was changed by someone else (or on disk) since you opened it; "
            "nothing was saved"
        )

    @property
    def theirs(self) -> str | None:
        return self.current.text


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def read(path: Path) -> Versioned:
    """The file's text exactly as it is (UTF-8, undecodable bytes replaced) and its version."""
    data = _read_bytes(path)
    text = None if data is None else data.decode("utf-8-sig", errors="replace")
    return Versioned(text, version_of(data))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time per process, and per folder across processes (``flock``)."""
    with _LOCK:
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _check(path: Path, expected: str, mine: str | None) -> None:
    data = _read_bytes(path)
    if version_of(data) != expected:
        text = None if data is None else data.decode("utf-8-sig", errors="replace")
        raise Conflict(path, expected, Versioned(text, version_of(data)), mine)


def _atomic_write(path: Path, data: bytes) -> None:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed before the rename)
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write(path: Path, text: str, expected: str) -> str:
    """Write ``text`` to ``path`` if it is still at version ``expected``; the new version.

    Line endings are written as ``\\n`` and the file ends with one newline. Writing the
    text the file already holds succeeds whatever ``expected`` was. Raises
    :class:`Conflict` (writing nothing) when the file has changed.
    """
    data = (text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    version = version_of(data)
    with _locked(path.parent):
        if version_of(_read_bytes(path)) == version:
            return version  # already there (the same save, run again): nothing to do
        _check(path, expected, text)
        _atomic_write(path, data)
    return version


def rename(source: Path, target: Path, expected: str | None = None) -> None:
    """Move ``source`` to ``target`` (same edition); refuse to replace a file.

    With ``expected``, refuse (:class:`Conflict`) when ``source`` is not at that version.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(source.parent):
        if expected is not None:
            _check(source, expected, None)
        if not source.exists():
            raise LinkedError(f"{source.name} no longer exists; reload the page")
        if target.exists():
            raise LinkedError(f"{target.name} already exists; nothing was moved")
        os.rename(source, target)


def edition_files(folder: Path) -> list[Path]:
    """What an edition is made of: ``edition.md``, its articles and its images (sorted)."""
    files = [folder / EDITION_FILE, *article_files(folder)]
    images = folder / "images"
    if images.is_dir():
        files += sorted(p for p in images.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [p for p in files if p.is_file()]


def edition_hash(folder: Path) -> str:
    """A SHA-256 of the edition's content (names and bytes): any change to it changes this.

    Drafts (``_`` files) and the trash are not part of what is sent, so not of the hash.
    """
    digest = hashlib.sha256()
    for path in edition_files(folder):
        name = path.relative_to(folder).as_posix().encode("utf-8")
        data = path.read_bytes()
        digest.update(len(name).to_bytes(4, "big") + name)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def rename_all(folder: Path, moves: list[tuple[str, str]]) -> None:
    """Rename several files of ``folder`` at once (names may swap): two steps, one lock."""
    if not moves:
        return
    with _locked(folder):
        for old, _new in moves:
            if not (folder / old).is_file():
                raise LinkedError(f"{old} no longer exists; reload the page")
        targets = {new for _old, new in moves} - {old for old, _new in moves}
        if any((folder / new).exists() for new in targets):
            raise LinkedError("a file with one of the new names exists; nothing was moved")
        staged = []
        for old, new in moves:
            temporary = folder / f".{old}.moving"
            os.rename(folder / old, temporary)
            staged.append((temporary, folder / new))
        for temporary, target in staged:
            os.rename(temporary, target)
