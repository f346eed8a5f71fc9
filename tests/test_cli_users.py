"""``linked users`` and ``linked audit`` through the real command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fixtures.project import REPO, run_linked


def linked_with_stdin(project: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linked", *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


def test_users_commands_and_the_audit_log(project: Path) -> None:
    code, out, err = run_linked("users", "add", "ann@example.org", "--role", "admin", cwd=project)
    assert code == 0, err
    assert "added ann@example.org as admin" in out and "/admin/password/" in out
    done = linked_with_stdin(
        project,
        "brass lantern moorland 7\n",
        "users",
        "add",
        "bob@example.org",
        "--role",
        "editor",
        "--password-stdin",
    )
    assert done.returncode == 0, done.stderr
    weak = linked_with_stdin(
        project,
        "password1234\n",
        "users",
        "add",
        "c@example.org",
        "--role",
        "editor",
        "--password-stdin",
    )
    assert weak.returncode == 1 and "too common" in weak.stderr and "Traceback" not in weak.stderr
    assert run_linked("users", "role", "bob@example.org", "sender", cwd=project)[0] == 0
    assert run_linked("users", "disable", "bob@example.org", cwd=project)[0] == 0
    code, out, _ = run_linked("users", "list", cwd=project)
    assert code == 0 and "invited" in out and "disabled" in out and "sender" in out
    code, out, _ = run_linked("users", "reset", "ann@example.org", cwd=project)
    assert code == 0 and "/admin/password/" in out
    code, out, _ = run_linked("audit", "--user", "bob@example.org", cwd=project)
    assert code == 0
    assert [line.split()[3] for line in out.splitlines()] == [
        "account.disable",
        "account.role",
        "account.add",
    ]
    code, _, err = run_linked("users", "role", "nobody@example.org", "admin", cwd=project)
    assert code == 1 and "no account for nobody@example.org" in err


def test_adding_an_existing_account_fails_unless_ignore_leaves_it_as_it_is(project: Path) -> None:
    assert run_linked("users", "add", "ann@example.org", "--role", "sender", cwd=project)[0] == 0
    code, _out, err = run_linked("users", "add", "ann@example.org", "--role", "admin", cwd=project)
    assert code == 1 and "already an account" in err
    code, out, err = run_linked(
        "users", "add", "ann@example.org", "--role", "admin", "--ignore", cwd=project
    )
    assert code == 0, err
    assert "has an account already" in out and "/admin/password/" not in out
    code, out, _ = run_linked("users", "list", cwd=project)
    assert "sender" in out and "admin" not in out
