"""Images uploaded for an edition: checked, turned upright, stripped of metadata, scaled.

Photos of children can carry the place they were taken (EXIF GPS). Nothing of an
upload's file but its pixels reaches ``editions/<slug>/images/``: Pillow opens it
(PNG, JPEG, GIF and WebP only; decompression bombs refused), applies the EXIF
orientation, copies the pixels into a new image — so EXIF, GPS, XMP, ICC profiles
and comments are left behind — scales it down to :data:`MAX_WIDTH`, and encodes it
again. An animated GIF keeps its first frame only.

The alt text is required at upload and kept in ``images/.alt.json`` (a hidden file:
not published and not part of the approved content; an article's own ``image_alt``
is what readers get). Files are written atomically (a temporary file, then a rename)
and an upload never replaces an existing image. The console's audit event for an
upload commits between the two (see :func:`store_image`).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from linked.authoring import articles
from linked.errors import LinkedError

IMAGES_DIR = "images"
ALT_FILE = ".alt.json"
#: The largest upload accepted, in bytes.
MAX_IMAGE_BYTES = 10_000_000
#: The most pixels an upload may decode to (a 12,000 × 8,000 photo is 96 MP).
MAX_PIXELS = 50_000_000
#: Stored images are at most this wide (the email column is 600 px; 2x for sharp screens).
MAX_WIDTH = 1200
MAX_ALT = 300
#: Pillow's format name → the stored file's extension.
FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
#: File extensions of images the console shows (what uploads become, and ``jpeg``).
SERVED = frozenset({*FORMATS.values(), "jpeg"})
_SAFE = re.compile(r"[^a-z0-9]+")


class ImageRejected(LinkedError):
    """The upload is not an image Linked accepts; the message says why, for the uploader."""


@dataclass(frozen=True)
class CleanImage:
    """An upload re-encoded from its pixels alone."""

    data: bytes
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredImage:
    """One file of an edition's ``images/`` and its alt text."""

    name: str
    alt: str
    width: int | None = None
    height: int | None = None

    @property
    def path(self) -> str:
        """The path an article uses (relative to the edition)."""
        return f"{IMAGES_DIR}/{self.name}"

    @property
    def snippet(self) -> str:
        """The Markdown to paste into an article's body."""
        alt = self.alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({self.path})"


def _open(data: bytes) -> Image.Image:
    """Decode ``data`` fully, refusing anything but the four formats and any bomb."""
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in FORMATS:
                    raise ImageRejected(
                        f"{kind or 'this'} images are not accepted: use PNG, JPEG, GIF or WebP"
                    )
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise ImageRejected(
                        f"the image is {width} × {height} pixels, more than Linked opens "
                        f"({MAX_PIXELS // 1_000_000} million); make it smaller first"
                    )
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(
                "the image decodes to far more pixels than its file suggests "
                "(a decompression bomb); it was refused"
            ) from None
        except UnidentifiedImageError:
            raise ImageRejected("this file is not an image: use PNG, JPEG, GIF or WebP") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected(f"the image file is damaged ({exc})") from None
    return image


def clean_image(data: bytes) -> CleanImage:
    """Check, turn upright, strip and scale one upload (see the module notes)."""
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(f"the file is larger than {MAX_IMAGE_BYTES // 1_000_000} MB")
    image = _open(data)
    kind = image.format or ""
    try:
        upright = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError):  # an EXIF block too broken to read: no turn
        upright = image
    if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    if kind == "JPEG" and upright.mode != "RGB" and upright.mode != "L":
        upright = upright.convert("RGB")
    if upright.width > MAX_WIDTH:
        height = max(1, round(upright.height * MAX_WIDTH / upright.width))
        if upright.mode == "P":
            upright = upright.convert("RGBA")
        upright = upright.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    # Pixels only: a fresh image has no info, EXIF, XMP, ICC profile or comment to carry.
    pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode == "P":
        palette = upright.getpalette()
        if palette is not None:
            pixels.putpalette(palette)
        if isinstance(upright.info.get("transparency"), int):
            pixels.info["transparency"] = upright.info["transparency"]
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.save(out, "JPEG", quality=85, optimize=True)
    elif kind == "WEBP":
        pixels.save(out, "WEBP", quality=85)
    elif kind == "GIF":
        pixels.save(out, "GIF")
    else:
        pixels.save(out, "PNG", optimize=True)
    return CleanImage(out.getvalue(), FORMATS[kind], pixels.width, pixels.height)


def safe_stem(filename: str) -> str:
    """A file name's stem as lowercase ASCII letters, digits and hyphens (``image`` if none)."""
    stem = Path(filename.replace("\\", "/")).name.rsplit(".", 1)[0]
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return _SAFE.sub("-", ascii_stem.lower()).strip("-")[:60].strip("-") or "image"


def write_hidden(folder: Path, data: bytes) -> Path:
    """Write ``data`` to disk under a new hidden name in ``folder`` (``.tmp-…``) and return it.

    Hidden names are in no list, hash or build; a rename into place publishes the file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    temporary = write_hidden(path.parent, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _alt_texts(folder: Path) -> dict[str, str]:
    try:
        found = json.loads((folder / ALT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def check_alt(alt: str) -> str:
    """The alt text, trimmed; refused when empty or too long."""
    alt = " ".join(alt.split())
    if not alt:
        raise ImageRejected("describe the image for people who cannot see it (alt text)")
    if len(alt) > MAX_ALT:
        raise ImageRejected(f"keep the alt text under {MAX_ALT} characters")
    return alt


def store_image(
    edition_folder: Path,
    filename: str,
    data: bytes,
    alt: str,
    *,
    record: Callable[[StoredImage], None] | None = None,
) -> StoredImage:
    """Clean ``data`` and store it in the edition's ``images/`` under a new safe name.

    ``record(image)`` is the console's audit event (``image.upload``), committed once
    the image is on disk under a hidden name and before it is renamed into place: if
    it fails, nothing was stored. The event is the only record of an upload and makes
    the uploader the edition's last editor (four eyes), so it must never be missing for
    an image that is there: written after the image, a failed event would leave a
    change nobody made, whose uploader could approve it. In this order the one step
    after the commit is the rename (and the alt text); should that fail, the log names
    an upload that is not there, which only errs on the safe side.
    """
    if not edition_folder.is_dir():
        raise LinkedError(f"no edition folder {edition_folder}")
    alt = check_alt(alt)
    clean = clean_image(data)
    folder = edition_folder / IMAGES_DIR
    folder.mkdir(exist_ok=True)
    stem = safe_stem(filename)
    name, number = f"{stem}.{clean.extension}", 1
    while (folder / name).exists():
        number += 1
        name = f"{stem}-{number}.{clean.extension}"
    image = StoredImage(name, alt, clean.width, clean.height)
    staged = write_hidden(folder, clean.data)
    try:
        if record is not None:
            record(image)
        texts = _alt_texts(folder)
        texts[name] = alt
        write_atomic(folder / ALT_FILE, json.dumps(texts, ensure_ascii=False, indent=1).encode())
        os.replace(staged, folder / name)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return image


def image_names(edition_folder: Path) -> list[str]:
    """The names of the edition's images: the visible files in ``images/``, sorted."""
    folder = edition_folder / IMAGES_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def list_images(edition_folder: Path) -> list[StoredImage]:
    """The edition's images (:func:`image_names`) with their alt text, by name.

    The alt text given at upload; for an image placed by hand, the one its articles
    give it (:func:`linked.authoring.articles.image_alts`), so the Markdown to paste
    never offers an image without a description that the edition already has.
    """
    names = image_names(edition_folder)
    if not names:
        return []
    texts = {
        **articles.image_alts(edition_folder),
        **_alt_texts(edition_folder / IMAGES_DIR),
    }
    return [StoredImage(name, texts.get(name, "")) for name in names]
