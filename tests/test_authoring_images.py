"""Uploaded images: real images only, upright, every bit of metadata gone, at most 1200 px."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from linked.authoring.images import (
    ALT_FILE,
    MAX_IMAGE_BYTES,
    ImageRejected,
    StoredImage,
    clean_image,
    list_images,
    safe_stem,
    store_image,
)
from tests.fixtures.photos import gps_photo, has_gps, png_bomb


def encoded(fmt: str, mode: str, size: tuple[int, int], **options: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt, **options)
    return out.getvalue()


def test_a_photo_loses_its_gps_position_and_every_other_tag() -> None:
    photo = gps_photo()
    assert has_gps(photo) and b"school gate" in photo
    clean = clean_image(photo)
    assert not has_gps(clean.data)
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert len(stored.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"} & set(stored.info)
    for marker in (b"Exif", b"GPS", b"school gate", b"Camera Maker", b"http://ns.adobe.com"):
        assert marker not in clean.data


def test_the_exif_orientation_is_applied_before_the_tag_goes() -> None:
    # 1600 × 1000 stored sideways (orientation 6): upright it is 1000 wide, 1600 high.
    clean = clean_image(gps_photo(1600, 1000, orientation=6))
    assert (clean.width, clean.height) == (1000, 1600)
    with Image.open(io.BytesIO(clean.data)) as stored:
        # The blue stripe on the left of the sensor is at the top once turned upright.
        top = stored.convert("RGB").getpixel((500, 10))
        assert isinstance(top, tuple) and top[2] > top[0]


@pytest.mark.parametrize(
    ("fmt", "mode", "extension"),
    [("PNG", "RGBA", "png"), ("JPEG", "RGB", "jpg"), ("GIF", "P", "gif"), ("WEBP", "RGB", "webp")],
)
def test_each_accepted_format_is_scaled_to_at_most_1200_wide(
    fmt: str, mode: str, extension: str
) -> None:
    clean = clean_image(encoded(fmt, mode, (2400, 600)))
    assert (clean.extension, clean.width, clean.height) == (extension, 1200, 300)
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert stored.format == fmt and stored.size == (1200, 300)


def test_a_small_image_keeps_its_size() -> None:
    assert clean_image(encoded("PNG", "RGB", (300, 200))).width == 300


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png_bomb(), "decompression bomb"),
        (png_bomb(9000, 9000), "9000 × 9000 pixels"),
        (b"GIF89a but not really an image", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not an image"),
        (b"just some text", "not an image"),
        (encoded("BMP", "RGB", (10, 10)), "BMP images are not accepted"),
        (encoded("TIFF", "RGB", (10, 10)), "TIFF images are not accepted"),
        (b"", "empty"),
        (b"\xff" * (MAX_IMAGE_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_what_is_not_an_acceptable_image_is_refused_with_a_reason(
    data: bytes, message: str
) -> None:
    with pytest.raises(ImageRejected, match=message):
        clean_image(data)


def test_stored_under_a_safe_new_name_with_its_alt_text(tmp_path: Path) -> None:
    edition = tmp_path / "2021-05"
    edition.mkdir()
    first = store_image(edition, "../../Photo of Wöod Report.JPEG", gps_photo(), " Two  people ")
    second = store_image(edition, "photo of wood report.jpg", gps_photo(), "The same again")
    assert (first.name, second.name) == ("photo-of-wood-report.jpg", "photo-of-wood-report-2.jpg")
    assert first.alt == "Two people"
    assert first.snippet == "![Two people](images/photo-of-wood-report.jpg)"
    assert not has_gps((edition / first.path).read_bytes())
    assert json.loads((edition / "images" / ALT_FILE).read_text()) == {
        first.name: "Two people",
        second.name: "The same again",
    }
    assert {(i.name, i.alt) for i in list_images(edition)} == {
        (first.name, "Two people"),
        (second.name, "The same again"),
    }
    # Nothing left behind by the atomic writes.
    assert sorted(p.name for p in (edition / "images").iterdir()) == sorted(
        [ALT_FILE, first.name, second.name]
    )


def test_an_image_placed_by_hand_shows_the_alt_text_its_article_gives(tmp_path: Path) -> None:
    edition = tmp_path / "2021-05"
    (edition / "images").mkdir(parents=True)
    (edition / "images" / "by-hand.png").write_bytes(b"not checked here")
    (edition / "01-a.md").write_text(
        "---\ntitle: A\nimage: images/by-hand.png\nimage_alt: A hand-placed chart\n---\n\nText\n"
    )
    uploaded = store_image(edition, "photo.jpg", gps_photo(), "Said at upload")
    (edition / "02-b.md").write_text(
        f"---\ntitle: B\n---\n\n![Said in the text]({uploaded.path})\n"
    )
    # The upload's own alt text wins; a hand-placed image gets its article's.
    assert {(i.name, i.alt) for i in list_images(edition)} == {
        ("by-hand.png", "A hand-placed chart"),
        (uploaded.name, "Said at upload"),
    }


def test_the_upload_is_recorded_before_the_image_takes_its_name(tmp_path: Path) -> None:
    seen: list[tuple[StoredImage, list[str]]] = []

    def record(image: StoredImage) -> None:
        seen.append((image, [i.name for i in list_images(tmp_path)]))

    stored = store_image(tmp_path, "a.jpg", gps_photo(), "A photo", record=record)
    assert seen == [(stored, [])]  # recorded while nothing was there yet
    assert [i.name for i in list_images(tmp_path)] == ["a.jpg"]


def test_a_failing_record_leaves_nothing_stored(tmp_path: Path) -> None:
    store_image(tmp_path, "a.jpg", gps_photo(), "The first")

    def record(image: StoredImage) -> None:
        raise RuntimeError("the audit log cannot be written")

    with pytest.raises(RuntimeError):
        store_image(tmp_path, "b.jpg", gps_photo(), "The second", record=record)
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == [ALT_FILE, "a.jpg"]
    assert json.loads((tmp_path / "images" / ALT_FILE).read_text()) == {"a.jpg": "The first"}


def test_alt_text_is_required_and_nothing_is_stored_without_it(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected, match="alt text"):
        store_image(tmp_path, "a.jpg", gps_photo(), "   ")
    assert not (tmp_path / "images").exists()


def test_a_snippet_escapes_brackets_in_the_alt_text() -> None:
    from linked.authoring.images import StoredImage

    assert StoredImage("a.png", "a [b]").snippet == r"![a \[b\]](images/a.png)"


@pytest.mark.parametrize(
    ("name", "stem"), [("Ünïcode ñame.png", "unicode-name"), ("....png", "image"), ("x", "x")]
)
def test_safe_stems(name: str, stem: str) -> None:
    assert safe_stem(name) == stem
