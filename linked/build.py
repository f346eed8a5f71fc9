"""``linked build``: write an edition's email to a folder, as a reader would get it.

Writes ``email.html``, ``email.txt``, ``email.eml`` (a complete message to a
sample recipient) and the edition's images.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from dataclasses import dataclass
from pathlib import Path

from linked.check import CheckReport, check_edition
from linked.compose import Composer, fill, greeting
from linked.compose.composer import LOGO_FILE
from linked.compose.templates import template_dirs
from linked.edition import Edition
from linked.errors import EditionError, LinkedError
from linked.message import Recipient, prepare_message
from linked.settings import Settings

IMAGES_DIR = "images"
SAMPLE = Recipient(
    email="reader@example.org",
    name="Sam Reader",
    unsubscribe_url="{base}/unsubscribe/SAMPLE-TOKEN",
)


@dataclass(frozen=True)
class BuildResult:
    out: Path
    files: tuple[Path, ...]
    report: CheckReport


def build_edition(settings: Settings, folder: Path, out: Path) -> BuildResult:
    """Check and write the edition; raises :class:`EditionError` when it has errors.

    ``email.eml`` is the message as sent (absolute URLs under ``base_url``);
    ``email.html`` shows the images copied beside it, so it works opened from disk.
    """
    composer = Composer(settings)
    report = check_edition(settings, folder, composer)
    if not report.ok or report.edition is None or report.composed is None:
        raise EditionError(report.errors)
    edition, composed = report.edition, report.composed
    local = composer.edition(edition, local_files=True)
    sample = Recipient(
        SAMPLE.email, SAMPLE.name, (SAMPLE.unsubscribe_url or "").format(base=settings.base_url)
    )
    values = {"greeting": greeting(sample.name), "unsubscribe_url": sample.unsubscribe_url or ""}
    raw = prepare_message(settings, composed).render(sample)
    # A build must never hand out a message that a strict parser rejects.
    parsed = email.message_from_bytes(raw, policy=email.policy.strict)
    defects = [d for part in parsed.walk() for d in part.defects]
    if defects:
        raise LinkedError(f"the built message has MIME defects: {defects}")

    try:
        out.mkdir(parents=True, exist_ok=True)
        files = [
            _write(out / "email.html", fill(local.html, values, html_escape=True).encode()),
            _write(out / "email.txt", fill(composed.text, values, html_escape=False).encode()),
            _write(out / "email.eml", raw),
        ]
        for name, source in _local_files(settings, edition):
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            files.append(target)
    except OSError as exc:
        raise LinkedError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    return BuildResult(out, tuple(files), report)


def _local_files(settings: Settings, edition: Edition) -> list[tuple[str, Path]]:
    """What ``email.html`` shows from disk: the logo, and the edition's ``images/`` folder
    and front-matter images (as in the archive), by their relative names."""
    names = set(edition.images)
    folder = edition.path / IMAGES_DIR
    if folder.is_dir():
        for path in folder.rglob("*"):
            rel = path.relative_to(edition.path)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                names.add(rel.as_posix())
    found = [(name, edition.path / name) for name in sorted(names)]
    logo = next(
        (
            d / "static" / LOGO_FILE
            for d in template_dirs(settings)
            if (d / "static" / LOGO_FILE).is_file()
        ),
        None,
    )
    return ([(LOGO_FILE, logo)] if logo else []) + found


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
