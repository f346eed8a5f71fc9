"""How the sending commands report when not on a terminal (linked.cli.report)."""

from __future__ import annotations

import json
import re

from sqlalchemy import Engine
from typer.testing import CliRunner

from linked.cli import app
from linked.settings import Settings
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO|WARNING|ERROR) ", re.M)


def _env(settings: Settings) -> dict[str, str]:
    env = {
        "LINKED_SECRET_KEY": str(settings.secret_key),
        "LINKED_FROM": settings.from_address,
        # The sends here go to a loopback relay: local links are expected.
        "LINKED_ALLOW_LOCAL_LINKS": "true",
    }
    if settings.database_url:
        env["LINKED_DATABASE_URL"] = settings.database_url
    return env


def test_not_on_a_terminal_the_final_counts_and_errors_are_log_lines(
    settings: Settings, engine: Engine
) -> None:
    add_subscribers(engine, 3)
    copy_edition(settings)
    root = ["--root", str(settings.root)]
    sent = CliRunner().invoke(app, [*root, "send", EDITION, "--yes"], env=_env(settings))
    assert sent.exit_code == 0, sent.output
    assert re.search(r"Z INFO done 2021-05: 3 sent$", sent.output, re.M), sent.output
    assert "━" not in sent.output  # no progress bar drawn

    bad = CliRunner().invoke(
        app,
        [*root, "send", EDITION, "--yes"],
        env={**_env(settings), "LINKED_SMTP_URL": "smtp+starttls://me:pa/ss@relay:587"},
    )
    assert bad.exit_code == 1
    assert LINE.search(bad.output) and "ERROR LINKED_SMTP_URL" in bad.output
    assert "pa/ss" not in bad.output


def test_json_prints_the_result_for_scripts(settings: Settings, engine: Engine) -> None:
    add_subscribers(engine, 2)
    copy_edition(settings)
    result = CliRunner().invoke(
        app, ["--root", str(settings.root), "send", EDITION, "--yes", "--json"], env=_env(settings)
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["status"] == "done" and payload["counts"]["sent"] == 2
