"""Settings: defaults, linked.toml, and LINKED_* variables overriding it."""

from __future__ import annotations

from pathlib import Path

import pytest

from linked.errors import LinkedError
from linked.settings import Settings, load_settings


def test_embedded_defaults(project: Path) -> None:
    settings = load_settings(project)
    assert settings.database == f"sqlite:///{(project / 'subscribers' / 'linked.db').resolve()}"
    assert settings.smtp_url is None
    assert settings.outbox_dir == project / "outbox"
    assert settings.timezone == "Europe/London"
    assert settings.list_identifier == "linked.localhost"


def test_toml_then_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "linked.toml").write_text(
        'base_url = "https://news.example.org/"\nfrom = "News <news@example.org>"\ntimezone = "Europe/Paris"\n'
    )
    settings = load_settings(project)
    assert settings.base_url == "https://news.example.org"
    assert settings.from_address == "News <news@example.org>"
    monkeypatch.setenv("LINKED_FROM", "Other <other@example.org>")
    monkeypatch.setenv("LINKED_TIMEZONE", "UTC")
    monkeypatch.setenv("LINKED_DATABASE_URL", "postgresql+psycopg://db/linked")
    settings = load_settings(project)
    assert settings.from_address == "Other <other@example.org>"
    assert settings.timezone == "UTC"
    assert settings.database == "postgresql+psycopg://db/linked"


def test_unknown_keys_and_bad_values_are_reported(project: Path) -> None:
    (project / "linked.toml").write_text('tiemzone = "UTC"\n')
    with pytest.raises(LinkedError, match="setting 'tiemzone'"):
        load_settings(project)


def test_every_setting_is_described_and_says_what_unset_means() -> None:
    # linked.toml's comments and docs/settings.md are written from these descriptions.
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert not field.description.endswith("."), name  # the writers end the sentence
        if field.default is None:
            assert "Unset:" in field.description, name
