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
from linked.compose import fill, greeting
from linked.errors import EditionError, LinkedError
from linked.message import Recipient, prepare_message
from linked.settings import Settings

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
    """Check and write the edition; raises :class:`EditionError` when it has errors."""
    report = check_edition(settings, folder)
    if not report.ok or report.edition is None or report.composed is None:
        raise EditionError(report.errors)
    edition, composed = report.edition, report.composed
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
            _write(out / "email.html", fill(composed.html, values, html_escape=True).encode()),
            _write(out / "email.txt", fill(composed.text, values, html_escape=False).encode()),
            _write(out / "email.eml", raw),
        ]
        for image in edition.images:
            target = out / image
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(edition.path / image, target)
            files.append(target)
    except OSError as exc:
        raise LinkedError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    return BuildResult(out, tuple(files), report)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
