"""Every save is a revision (who, when, the full text), viewable as a diff and restorable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts.audit import Actor
from linked.authoring import files, revisions
from linked.errors import LinkedError

ALICE = Actor("alice@example.org", 1)
BOB = Actor("bob@example.org", 2)


def test_saves_are_revisions_with_who_and_the_text(engine: Engine, example_edition: Path) -> None:
    path = example_edition / "06-prevent.md"
    with Session(engine) as session:
        one = revisions.save(
            session, ALICE, path, "---\ntitle: One\n---\n\nOne.", files.read(path).version
        )
        revisions.save(session, BOB, path, "---\ntitle: Two\n---\n\nTwo.", one)
        session.commit()
        rows = revisions.history(session, "2021-05", "06-prevent.md")
    assert [(r.actor, r.action) for r in rows] == [(BOB.name, "save"), (ALICE.name, "save")]
    assert rows[0].text == "---\ntitle: Two\n---\n\nTwo.\n" and rows[0].key == "prevent.md"
    assert rows[0].version == files.read(path).version
    with Session(engine) as session:
        last = revisions.latest(session, "2021-05")
        assert last is not None and last.actor == BOB.name and last.account_id == 2
        assert revisions.latest(session, "2021-06") is None


def test_history_follows_a_file_through_renames(engine: Engine, example_edition: Path) -> None:
    with Session(engine) as session:
        revisions.record_file(session, ALICE, example_edition / "06-prevent.md", "save")
        revisions.record_file(session, ALICE, example_edition / "_03-prevent.md", "delete")
        session.commit()
        rows = revisions.history(session, "2021-05", "_04-prevent.md")
    assert [r.name for r in rows] == ["_03-prevent.md", "06-prevent.md"]
    assert rows[0].text is None  # the file was not there: a deletion


def test_diff_lines() -> None:
    lines = revisions.diff("a\nb\nc", "a\nB\nc", "old", "new")
    assert [(line.kind, line.text) for line in lines] == [
        ("hunk", "@@ -1,3 +1,3 @@"),
        ("same", " a"),
        ("remove", "-b"),
        ("add", "+B"),
        ("same", " c"),
    ]


def test_restore_is_a_save_with_a_conflict_check(engine: Engine, example_edition: Path) -> None:
    path = example_edition / "06-prevent.md"
    original = path.read_text()
    with Session(engine) as session:
        first = revisions.record_file(session, ALICE, path, "save")
        revisions.save(
            session, BOB, path, "---\ntitle: Changed\n---\n\nChanged.", files.read(path).version
        )
        session.commit()
        with pytest.raises(files.Conflict):
            revisions.restore(session, ALICE, path, first, "0" * 64)
        revisions.restore(session, ALICE, path, first, files.read(path).version)
        session.commit()
        assert revisions.previous(session, revisions.history(session, "2021-05", path.name)[0])
        with pytest.raises(LinkedError, match="another file"):
            revisions.restore(
                session, ALICE, example_edition / "07-recording-practice.md", first, ""
            )
    assert path.read_text() == original
