"""The only writer of edition files: atomic writes, versions, compare-and-swap, the edition hash."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from linked.authoring import files
from linked.authoring.files import MISSING, Conflict


def test_a_write_needs_the_version_it_started_from(tmp_path: Path) -> None:
    path = tmp_path / "01-a.md"
    first = files.write(path, "one", MISSING)
    assert path.read_text() == "one\n"
    assert files.read(path) == files.Versioned("one\n", first)
    second = files.write(path, "two", first)
    with pytest.raises(Conflict) as caught:
        files.write(path, "three", first)
    assert caught.value.expected == first
    assert caught.value.current.version == second
    assert caught.value.theirs == "two\n" and caught.value.mine == "three"
    assert path.read_text() == "two\n"


def test_creating_refuses_an_existing_file_and_a_removed_file_is_a_conflict(
    tmp_path: Path,
) -> None:
    path = tmp_path / "01-a.md"
    version = files.write(path, "mine", MISSING)
    with pytest.raises(Conflict):
        files.write(path, "other", MISSING)
    path.unlink()
    with pytest.raises(Conflict) as caught:
        files.write(path, "again", version)
    assert caught.value.theirs is None


def test_writing_the_same_text_again_is_not_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "01-a.md"
    version = files.write(path, "text\r\n", MISSING)
    assert files.write(path, "text", MISSING) == version
    assert path.read_bytes() == b"text\n"


def test_the_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "01-a.md"
    files.write(path, "old", MISSING)
    inode = path.stat().st_ino
    files.write(path, "new", files.read(path).version)
    assert path.stat().st_ino != inode  # a new file renamed over the old one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01-a.md"]
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_concurrent_saves_from_one_version_let_exactly_one_win(tmp_path: Path) -> None:
    path = tmp_path / "01-a.md"
    start = files.write(path, "start", MISSING)
    results: list[str] = []

    def save(n: int) -> None:
        try:
            files.write(path, f"writer {n}", start)
            results.append("saved")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 7 + ["saved"]


def test_rename_refuses_to_replace_and_checks_the_version(tmp_path: Path) -> None:
    a, b = tmp_path / "01-a.md", tmp_path / "02-b.md"
    version = files.write(a, "a", MISSING)
    files.write(b, "b", MISSING)
    with pytest.raises(files.LinkedError, match="already exists"):
        files.rename(a, b)
    with pytest.raises(Conflict):
        files.rename(a, tmp_path / "03-a.md", "0" * 64)
    files.rename(a, tmp_path / ".trash" / "x-01-a.md", version)
    assert (tmp_path / ".trash" / "x-01-a.md").read_text() == "a\n"


def test_rename_all_swaps_names(tmp_path: Path) -> None:
    files.write(tmp_path / "01-a.md", "a", MISSING)
    files.write(tmp_path / "02-b.md", "b", MISSING)
    files.rename_all(tmp_path, [("01-a.md", "02-a.md"), ("02-b.md", "01-b.md")])
    assert (tmp_path / "01-b.md").read_text() == "b\n"
    assert (tmp_path / "02-a.md").read_text() == "a\n"
    assert sorted(os.listdir(tmp_path)) == ["01-b.md", "02-a.md"]


def test_the_edition_hash_changes_with_content_not_with_drafts_or_trash(
    example_edition: Path,
) -> None:
    before = files.edition_hash(example_edition)
    (example_edition / "_99-draft.md").write_text("---\ntitle: Draft\n---\n")
    (example_edition / ".trash").mkdir()
    (example_edition / ".trash" / "x.md").write_text("gone")
    assert files.edition_hash(example_edition) == before
    image = next((example_edition / "images").iterdir())
    image.write_bytes(image.read_bytes() + b"\0")
    assert files.edition_hash(example_edition) != before
