"""``linked archive build``: write the whole public archive to a folder anyone can host."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from linked.archive.catalogue import Catalogue
from linked.archive.site import Archive
from linked.errors import LinkedError
from linked.settings import Settings

#: Left in every built archive, so a rebuild may safely empty the folder first.
MARKER = ".linked-archive"


@dataclass(frozen=True)
class ArchiveBuild:
    """What was written, and which editions were left out (unpublished or broken)."""

    out: Path
    files: tuple[Path, ...]
    catalogue: Catalogue


def build_archive(settings: Settings, out: Path, archive: Archive | None = None) -> ArchiveBuild:
    """Render every published edition and write the static site to ``out``."""
    archive = archive or Archive(settings)
    cat = archive.catalogue()
    try:
        _prepare(out)
        written = _write_site(archive, cat, out)
    except OSError as exc:
        raise LinkedError(f"cannot write the archive to {out}: {exc.strerror or exc}") from exc
    return ArchiveBuild(out, tuple(written), cat)


def _prepare(out: Path) -> None:
    """Empty a previous build (so withdrawn editions disappear); refuse any other folder."""
    if out.exists() and not out.is_dir():
        raise LinkedError(f"{out} is a file; give a folder for the archive")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise LinkedError(
                f"{out} is not empty and was not built by 'linked archive build'; "
                "choose an empty or new folder"
            )
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Built by linked archive build; rebuilt from scratch each time.\n")


def _write_site(archive: Archive, cat: Catalogue, out: Path) -> list[Path]:
    written = [
        _write(out / "index.html", archive.index_page(cat)),
        _write(out / "search.html", archive.search_page()),
        _write(out / "404.html", archive.not_found_page()),
        _write(out / "search.json", archive.search_data(cat)),
        _write(out / "feed.xml", archive.feed(cat)),
    ]
    static = out / "static"
    static.mkdir()
    for name, source in archive.static_files():
        written.append(Path(shutil.copyfile(source, static / name)))
    for edition in cat.editions:
        folder = out / "editions" / edition.slug
        written.append(_write(folder / "index.html", archive.edition_page(edition)))
        for name in archive.image_names(edition):
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(Path(shutil.copyfile(edition.path / name, target)))
    return written


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path
