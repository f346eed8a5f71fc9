"""``linked subscribers …`` and ``linked db upgrade`` through the real Typer app."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linked.cli import app
from linked.db.migrate import head_revision
from linked.settings import Settings


@pytest.fixture
def run(settings: Settings):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"LINKED_SECRET_KEY": "cli-secret", "LINKED_FROM": "Linked <bulletin@example.org>"}
    if settings.database_url:
        env["LINKED_DATABASE_URL"] = settings.database_url

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--root", str(settings.root), *args], env=env, input=input)

    return invoke


def test_db_upgrade(run) -> None:  # type: ignore[no-untyped-def]
    result = run("db", "upgrade")
    head = head_revision()
    assert head is not None and head != "0001_subscribers"  # deliveries build on subscribers
    assert result.exit_code == 0 and f"database is at revision {head}" in result.output


def test_add_list_count_remove(run) -> None:  # type: ignore[no-untyped-def]
    assert run("subscribers", "add", "a@example.org", "--name", "Ann").exit_code == 0
    added = run("subscribers", "add", "b@example.org", "--consent-given-elsewhere")
    assert "confirmed" in added.output
    listing = run("subscribers", "list")
    assert "a@example.org" in listing.output and "pending" in listing.output
    assert "b@example.org" in run("subscribers", "list", "--status", "confirmed").output
    counts = run("subscribers", "count").output
    assert (
        "pending       1" in counts and "confirmed     1" in counts and "total         2" in counts
    )
    assert run("subscribers", "remove", "b@example.org").exit_code == 0
    again = run("subscribers", "remove", "b@example.org")
    assert again.exit_code == 1 and "already unsubscribed" in again.output
    assert "Traceback" not in again.output


def test_bad_input_is_a_message_not_a_traceback(run) -> None:  # type: ignore[no-untyped-def]
    result = run("subscribers", "add", "not-an-address")
    assert result.exit_code == 1 and "not a valid email address" in result.output
    missing = run("subscribers", "import", "nowhere.csv")
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_import_with_confirmations_and_report(
    run,
    tmp_path: Path,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "email,name,status,consented_at,source\n"
        "ann@example.org,Ann,confirmed,,old list\n"
        "broken,,pending,,\n"
        "Ben@example.org,Ben,,,\n"
        "ben@EXAMPLE.org,,,,\n",
        encoding="utf-8",
    )
    result = run("subscribers", "import", str(source), "--send-confirmations")
    assert result.exit_code == 0, result.output
    assert "list.csv:3: skipped: not a valid email address" in result.output
    assert "added 2" in result.output and "merged 1" in result.output
    assert "sent 2 confirmation emails" in result.output
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 2


def test_export_csv_and_person_json(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "a@example.org", "--name", "=cmd()", "--consent-given-elsewhere")
    out = tmp_path / "export.csv"
    assert run("subscribers", "export", "--out", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[1][:3] == ["a@example.org", "'=cmd()", "confirmed"]
    person = run("subscribers", "export", "--subscriber", "A@example.org")
    data = json.loads(person.stdout)
    assert data["email"] == "a@example.org" and data["consent_log"][0]["to"] == "confirmed"


def test_erase_blocks_re_adding(run) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "e@example.org")
    assert run("subscribers", "erase", "e@example.org", input="n\n").exit_code == 1
    assert run("subscribers", "erase", "e@example.org", "--yes").exit_code == 0
    assert "e@example.org" not in run("subscribers", "list").output
    blocked = run("subscribers", "add", "e@example.org")
    assert blocked.exit_code == 1 and "erased" in blocked.output


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = {"LINKED_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(app, ["--root", str(tmp_path), "subscribers", "count"], env=env)
    assert result.exit_code == 1
    # Not on a terminal, the error is a log line ("… ERROR cannot use …"), never a traceback.
    assert "cannot use the database (LINKED_DATABASE_URL):" in result.output
    assert "ERROR" in result.output
    assert "Connection refused" in result.output or "connection failed" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped error
