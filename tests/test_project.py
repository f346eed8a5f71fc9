"""``linked init``: a new project anywhere, with every setting in linked.toml (linked.project)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from linked.check import check_edition
from linked.errors import LinkedError
from linked.project import init_project, settings_toml
from linked.settings import CONFIG_FILE, Settings, load_settings
from linked.settings_reference import NOT_IN_FILE, toml_key
from tests.fixtures.project import run_linked

SETTING_LINE = re.compile(r"^# ([a-z_]+) = (.*)$")


def _commented() -> dict[str, str]:
    return {m[1]: m[2] for line in settings_toml().splitlines() if (m := SETTING_LINE.match(line))}


def test_linked_toml_names_every_setting_with_its_variable() -> None:
    text = settings_toml()
    keys = {toml_key(name, field) for name, field in Settings.model_fields.items()}
    expected = keys - NOT_IN_FILE
    assert set(_commented()) == expected
    assert "# from = " in text and "LINKED_FROM" in text  # the file's name, not the field's
    for key in expected:
        assert f"LINKED_{key.upper()}" in text.replace("\n# ", ""), key


def test_uncommented_defaults_are_the_defaults(tmp_path: Path) -> None:
    # Every line with a default, uncommented, is valid TOML that Linked reads as the default.
    values = {key: value for key, value in _commented().items() if value != '""'}
    (tmp_path / CONFIG_FILE).write_text("\n".join(f"{k} = {v}" for k, v in values.items()))
    assert set(tomllib.loads((tmp_path / CONFIG_FILE).read_text())) == set(values)
    assert load_settings(tmp_path) == Settings(root=tmp_path)


def test_init_writes_a_project_whose_example_edition_checks(tmp_path: Path) -> None:
    folder = tmp_path / "bulletin"
    written = init_project(folder)
    names = {path.relative_to(folder).as_posix() for path in written}
    assert {
        "linked.toml",
        ".gitignore",
        "editions/2021-06/edition.md",
        "editions/2021-06/01-how-it-works.md",
        "editions/2021-06/images/training.png",
        "subscribers/example.csv",
        "templates/README.md",
    } <= names
    assert "same path" in (folder / "templates" / "README.md").read_text()
    settings = load_settings(folder)
    report = check_edition(settings, settings.editions_dir / "2021-06")
    assert report.ok, [p.format() for p in report.errors]


def test_init_refuses_an_existing_project_and_writes_nothing(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("base_url = 'https://example.org'\n")
    with pytest.raises(LinkedError, match="already holds a Linked project"):
        init_project(tmp_path)
    assert (tmp_path / CONFIG_FILE).read_text() == "base_url = 'https://example.org'\n"


def test_init_refuses_to_overwrite_files_it_would_write(tmp_path: Path) -> None:
    edition = tmp_path / "editions" / "2021-06" / "edition.md"
    edition.parent.mkdir(parents=True)
    edition.write_text("mine")
    with pytest.raises(LinkedError, match=r"already has editions/2021-06/edition\.md"):
        init_project(tmp_path)
    assert edition.read_text() == "mine" and not (tmp_path / CONFIG_FILE).exists()


def test_init_command_says_what_to_do_next_and_refuses_twice(tmp_path: Path) -> None:
    code, out, err = run_linked("init", "news", cwd=tmp_path)
    assert code == 0, err
    assert "Created a Linked project in news" in out and "linked check 2021-06" in out
    code, out, err = run_linked("init", "news", cwd=tmp_path)
    assert code == 1
    assert "already holds a Linked project (linked.toml); nothing was written" in err
    assert "Traceback" not in err
