"""The real ``linked`` command for the policy officer: exit codes and messages, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.project import EditionFactory, run_linked


def test_help_lists_commands_and_every_command_has_help(project: Path) -> None:
    code, out, _ = run_linked("--help", cwd=project)
    assert code == 0
    for command in ("new", "check", "build"):
        assert command in out
        code, out_cmd, _ = run_linked(command, "--help", cwd=project)
        assert code == 0 and "Usage" in out_cmd


def test_new_check_build_journey(project: Path) -> None:
    code, out, err = run_linked("new", "2021-06", "--title", "Linked — June 2021", cwd=project)
    assert code == 0, err
    folder = project / "editions" / "2021-06"
    # The slug names a month (not this one): the edition is dated its first day.
    assert "\ndate: 2021-06-01\n" in (folder / "edition.md").read_text()
    # The example text must not go out: check refuses it, naming every line.
    code, out, err = run_linked("check", "2021-06", cwd=project)
    assert code == 1
    leftovers = [line for line in err.splitlines() if "example text from 'linked new'" in line]
    assert [line.split(": example")[0] for line in leftovers] == [
        "error   editions/2021-06/edition.md:5",
        "error   editions/2021-06/edition.md:7",
        "error   editions/2021-06/01-first-article.md:2",
        "error   editions/2021-06/01-first-article.md:8",
        "error   editions/2021-06/01-first-article.md:10",
    ]
    _write_own_words(folder)
    code, out, err = run_linked("check", "2021-06", cwd=project)
    assert code == 0, err
    assert "ok 2021-06" in out
    code, out, err = run_linked("build", "2021-06", "--out", "out", cwd=project)
    assert code == 0, err
    assert {"email.html", "email.txt", "email.eml"} <= {p.name for p in (project / "out").iterdir()}


def _write_own_words(folder: Path) -> None:
    """What an author does after ``linked new``: replace every example sentence."""
    replacements = {
        "One sentence that mail programs show after the subject": "Training dates and news",
        "Welcome to this edition. This text opens the bulletin.": "Welcome to June.",
        "Your first article": "Summer training",
        "https://example.org/report": "https://www.durham-scp.org.uk/training",
        "Write the article here in Markdown.": "Places are open for the summer courses.",
    }
    for path in folder.glob("*.md"):
        text = path.read_text()
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text)


def test_new_takes_a_date_option_and_refuses_a_bad_one(project: Path) -> None:
    code, _, err = run_linked("new", "summer", "--title", "S", "--date", "2021-07-02", cwd=project)
    assert code == 0, err
    assert "\ndate: 2021-07-02\n" in (project / "editions/summer/edition.md").read_text()
    code, _, err = run_linked("new", "autumn", "--title", "A", "--date", "2021-13-01", cwd=project)
    assert code == 1
    assert "--date '2021-13-01' is not an ISO date such as 2021-06-25" in err


def test_check_errors_exit_1_with_one_line_each(
    project: Path, write_edition: EditionFactory
) -> None:
    write_edition(
        {
            "edition.md": "---\ntitle: T\ndate: 2021-02-30\n---\n",
            "01-a.md": "---\ntitle: [x\n---\n",
        },
        slug="broken",
    )
    code, out, err = run_linked("check", "broken", cwd=project)
    assert code == 1
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert lines == [
        "error   editions/broken/edition.md:3: 'date' must be an ISO date like 2021-05-28, got '2021-02-30'",
        "error   editions/broken/01-a.md:2: invalid YAML in front matter: expected ',' or ']', "
        "but got '<stream end>' — a value that starts with '[' is read as a list: "
        'put the whole value in double quotes, like title: "Linked: June 2021"',
    ]


def test_warnings_only_exit_0(project: Path, write_edition: EditionFactory) -> None:
    write_edition(
        {
            "edition.md": "---\ntitle: T\ndate: 2021-02-03\n---\nHi.\n",
            "01-a.md": "---\ntitle: A\n---\n[here](http://x.org)\n",
        },
        slug="warn",
    )
    code, _out, err = run_linked("check", "warn", cwd=project)
    assert code == 0, err
    assert "warning editions/warn/edition.md: no preheader" in err
    assert "warning editions/warn/01-a.md:4: link 'http://x.org' is not https" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "missing"), "edition folder does not exist"),
        (("build", "missing", "--out", "o"), "edition folder does not exist"),
        (("new", "Bad Name", "--title", "x"), "must be lower-case letters"),
        (("--root", "/nonexistent", "check", "x"), "project root /nonexistent is not a folder"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run_linked(*args, cwd=project)
    assert code == 1
    assert message in err
    assert "Traceback" not in out + err


def test_bad_settings_are_a_message(project: Path) -> None:
    (project / "linked.toml").write_text('timezone = "Mars/Olympus"\nbase_url = "ftp://x"\n')
    code, out, err = run_linked("check", "x", cwd=project)
    assert code == 1
    assert "setting 'timezone'" in err and "unknown time zone 'Mars/Olympus'" in err
    assert "setting 'base_url'" in err
    assert "Traceback" not in out + err
