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
    assert (project / "editions" / "2021-06" / "edition.md").is_file()
    code, out, err = run_linked("check", "2021-06", cwd=project)
    assert code == 0, err
    assert "ok 2021-06" in out
    code, out, err = run_linked("build", "2021-06", "--out", "out", cwd=project)
    assert code == 0, err
    assert {"email.html", "email.txt", "email.eml"} <= {p.name for p in (project / "out").iterdir()}


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
        "error   editions/broken/01-a.md:2: invalid YAML in front matter: expected ',' or ']', but got '<stream end>'",
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
