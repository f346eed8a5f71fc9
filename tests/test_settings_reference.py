"""docs/settings.md is the Settings model's descriptions, never a copy (linked.settings_reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linked.settings import Settings
from linked.settings_reference import COMMAND, REFERENCE, entries, main, markdown
from tests.fixtures.project import REPO


def _rows() -> dict[str, str]:
    """Each table row by its setting, from the generated text."""
    rows = [line for line in markdown().splitlines() if line.startswith("| `")]
    return {row.split("`")[1]: row for row in rows}


def test_docs_settings_md_is_the_generated_reference() -> None:
    written = (REPO / REFERENCE).read_text(encoding="utf-8")
    assert written == markdown(), (
        f"{REFERENCE} is out of date with linked/settings.py: run `{COMMAND}` and commit it"
    )


def test_one_row_per_setting_by_its_linked_toml_name_with_its_variable() -> None:
    rows = _rows()
    assert set(rows) == set(Settings.model_fields) - {"root", "from_address"} | {"from"}
    assert '`LINKED_FROM` | `"Linked <bulletin@localhost>"`' in rows["from"]
    for entry in entries():
        assert f"| `{entry.variable}` |" in rows[entry.key]
    assert "| `database_url` | `LINKED_DATABASE_URL` | unset | " in rows["database_url"]
    assert "| `send_welcome` | `LINKED_SEND_WELCOME` | `true` | " in rows["send_welcome"]


def test_markup_in_a_description_is_shown_not_obeyed() -> None:
    rows = _rows()
    # An unescaped <signed delivery token> would be an HTML tag, dropped from the page.
    assert r"bounces+\<signed delivery token\>@example.org" in rows["bounce_address"]
    assert r"host\[:port\]/INBOX" in rows["bounce_imap_url"]
    assert r"selector.\_domainkey.domain" in rows["dkim_selector"]
    assert "Needs dkim_private_key_path." in rows["dkim_selector"]  # inside a word: as is


def test_the_command_writes_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "settings.md"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == markdown()
    assert main([str(tmp_path / "missing" / "settings.md")]) == 1
    assert "run this from the top of a checkout" in capsys.readouterr().out
