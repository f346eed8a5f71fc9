"""``linked schedule`` through the real command line (a subprocess), on the test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linked.scheduler.service import schedule_edition
from linked.settings import load_settings
from tests.fixtures.project import run_linked


@pytest.fixture
def cli_project(
    example_edition: Path, postgres_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The example project; the subprocess uses the test database through LINKED_DATABASE_URL."""
    if postgres_url:
        from tests.fixtures.database import _empty_postgres

        _empty_postgres(postgres_url)
        monkeypatch.setenv("LINKED_DATABASE_URL", postgres_url)
    return example_edition.parent.parent


def test_schedule_list_cancel(cli_project: Path) -> None:
    code, out, err = run_linked("schedule", "2021-05", "--at", "2031-05-28T09:00", cwd=cli_project)
    assert code == 0, err
    assert "Scheduled 2021-05 for Wednesday 28 May 2031 09:00 BST" in out
    code, out, _ = run_linked("schedule", "list", cwd=cli_project)
    assert code == 0
    assert "2021-05" in out and "2031-05-28 09:00 BST" in out and "scheduled" in out
    # Scheduling again replaces the time; `add` is the long form.
    code, out, err = run_linked(
        "schedule", "add", "2021-05", "--at", "2031-12-01T09:00+00:00", cwd=cli_project
    )
    assert code == 0, err
    code, out, _ = run_linked("schedule", "list", cwd=cli_project)
    assert "2031-12-01 09:00 GMT" in out and "2031-05-28" not in out
    code, out, _ = run_linked("schedule", "cancel", "2021-05", cwd=cli_project)
    assert code == 0 and "Cancelled" in out
    code, out, _ = run_linked("schedule", "list", cwd=cli_project)
    assert "Nothing scheduled." in out


def test_refusals_are_messages_not_tracebacks(cli_project: Path) -> None:
    cases = [
        (["schedule", "2021-05", "--at", "2021-05-28T09:00"], "is in the past"),
        (["schedule", "2021-05"], "no send_at"),
        (["schedule", "2021-05", "--at", "next friday"], "not an ISO date-time"),
        (["schedule", "cancel", "2021-05"], "is not scheduled"),
        (["schedule", "1999-01", "--at", "2031-01-01T09:00"], "no edition folder"),
    ]
    for args, message in cases:
        code, out, err = run_linked(*args, cwd=cli_project)
        assert code == 1, (args, out, err)
        assert message in err and "Traceback" not in err


def test_list_shows_a_due_send_in_local_time(cli_project: Path) -> None:
    # A time already past, accepted through an injected clock (no sleeping until it passes,
    # so a slow machine changes nothing): the job store holds a due send.
    now = datetime.now(UTC)
    schedule_edition(
        load_settings(cli_project),
        "2021-05",
        now - timedelta(seconds=2),
        now=now - timedelta(hours=1),
    )
    # Nothing runs the job in the CLI: it is listed as due, not sent.
    code, out, err = run_linked("schedule", "list", cwd=cli_project)
    assert code == 0, err
    assert "due" in out and "linked serve" in out
    assert not (cli_project / "outbox").exists() or not any((cli_project / "outbox").iterdir())
