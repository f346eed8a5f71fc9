"""The lint of each URL: relative files, ``mailto:`` form, local and private hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from linked.check import check_edition
from linked.compose.urls import host_kind
from linked.settings import Settings
from tests.fixtures.project import EditionFactory

HEAD = "---\ntitle: T\ndate: 2021-05-28\npreheader: P\n---\nWelcome.\n"


def article_findings(
    settings: Settings, write_edition: EditionFactory, body: str, **extra: object
) -> tuple[list[str], list[str]]:
    folder = write_edition(
        {"edition.md": HEAD, "01-a.md": f"---\ntitle: A\n---\n{body}\n"}, **extra
    )
    report = check_edition(settings, folder)
    return (
        [p.format(relative_to=folder) for p in report.errors],
        [p.format(relative_to=folder) for p in report.warnings],
    )


def test_relative_links_must_point_at_files_in_the_folder(
    settings: Settings, write_edition: EditionFactory
) -> None:
    errors, _ = article_findings(
        settings,
        write_edition,
        "[Plan](images/plan.png) [Minutes](files/minutes.pdf#page=2) "
        "[Escape](../../linked.toml) ![Map](images/map%20old.png)",
        images=("images/plan.png",),
    )
    assert errors == [
        "01-a.md:4: link 'files/minutes.pdf#page=2' does not exist in the edition folder",
        "01-a.md:4: link '../../linked.toml' does not exist in the edition folder",
        "01-a.md:4: image 'images/map%20old.png' does not exist in the edition folder",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "mailto:",
        "mailto:dscp",
        "mailto:dscp@durham",
        "mailto:a@b.org,nobody",
        "mailto:a@b.org;c@d.org",
    ],
)
def test_malformed_mailto_links_are_errors(
    settings: Settings, write_edition: EditionFactory, url: str
) -> None:
    errors, _ = article_findings(settings, write_edition, f"[Write to us]({url})")
    assert errors == [
        f"01-a.md:4: link {url!r} is not a working mailto: link; "
        "write it as mailto:name@example.org"
    ]


def test_good_mailto_links_pass(settings: Settings, write_edition: EditionFactory) -> None:
    errors, warnings = article_findings(
        settings,
        write_edition,
        "[Us](mailto:dscp@durham.gov.uk?subject=Linked) [Both](mailto:a@b.org,c@d.org) "
        "<dscp@durham.gov.uk>",
    )
    assert (errors, warnings) == ([], [])


def test_links_to_this_computer_are_errors_and_private_networks_warnings(
    settings: Settings, write_edition: EditionFactory
) -> None:
    errors, warnings = article_findings(
        settings,
        write_edition,
        "[Draft](https://localhost:8000/x) [Box](https://127.0.0.1/y) "
        "[Intranet](https://10.1.2.3/z) [Printer](https://printer.local/)\n\n"
        "![Graph](https://192.168.1.5/graph.png)",
    )
    assert errors == [
        "01-a.md:4: link 'https://localhost:8000/x' points at localhost, the computer it is "
        "opened on: readers cannot reach it; use the public address",
        "01-a.md:4: link 'https://127.0.0.1/y' points at 127.0.0.1, the computer it is "
        "opened on: readers cannot reach it; use the public address",
    ]
    assert warnings == [
        "01-a.md:4: link 'https://10.1.2.3/z' points at 10.1.2.3, a private network address: "
        "readers outside that network cannot reach it",
        "01-a.md:4: link 'https://printer.local/' points at printer.local, a private network "
        "address: readers outside that network cannot reach it",
        "01-a.md:6: image 'https://192.168.1.5/graph.png' points at 192.168.1.5, a private "
        "network address: readers outside that network cannot reach it",
    ]


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("localhost", "local"),
        ("app.localhost", "local"),
        ("127.0.0.2", "local"),
        ("[::1]", "local"),
        ("0.0.0.0", "local"),
        ("172.16.0.1", "private"),
        ("169.254.1.1", "private"),
        ("fd00::1", "private"),
        ("example.org", None),
        ("8.8.8.8", None),
    ],
)
def test_host_kind(host: str, kind: str | None) -> None:
    assert host_kind(host) == kind


def test_front_matter_links_get_the_same_lint(
    settings: Settings, write_edition: EditionFactory, tmp_path: Path
) -> None:
    folder = write_edition(
        {
            "edition.md": HEAD,
            "01-a.md": "---\ntitle: A\nlinks:\n  - {text: Our team, url: 'mailto:team'}\n"
            "  - {text: Agenda, url: agenda.docx}\n---\nBody.\n",
        }
    )
    errors = [p.format(relative_to=folder) for p in check_edition(settings, folder).errors]
    assert errors == [
        "01-a.md: link 'mailto:team' is not a working mailto: link; "
        "write it as mailto:name@example.org",
        "01-a.md: link 'agenda.docx' does not exist in the edition folder",
    ]
