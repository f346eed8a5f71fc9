"""The console's live preview: the edition as if unsaved text were saved; nothing written."""

from __future__ import annotations

from pathlib import Path

from linked.authoring.files import edition_hash
from linked.preview.draft import preview_draft
from linked.settings import Settings


def test_unsaved_text_is_previewed_and_nothing_is_written(
    settings: Settings, example_edition: Path
) -> None:
    before = edition_hash(example_edition)
    text = "---\ntitle: Prevent, rewritten\n---\n\nSee [click here](https://example.org/p).\n"
    preview = preview_draft(settings, example_edition, {"06-prevent.md": text})
    assert edition_hash(example_edition) == before
    assert preview.html is not None and "Prevent, rewritten" in preview.html
    assert preview.errors == []
    vague = [p for p in preview.warnings if "click here" in p.message]
    assert vague and vague[0].path == example_edition.resolve() / "06-prevent.md"
