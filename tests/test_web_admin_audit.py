"""The console's audit log page: who did what, with non-human actors named in words."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.accounts.models import Role
from tests.fixtures.console import ROLE_EMAILS, sign_in


def test_the_scheduler_the_system_and_the_command_line_are_named_in_words(
    console: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        audit.record(session, Actor("cli:ops"), "send.schedule", "edition:2021-05")
        audit.record(session, Actor.scheduler(), "send.start", "edition:2021-05")
        audit.record(session, Actor.system(), "retention.purge")
        session.commit()
    sign_in(console, ROLE_EMAILS[Role.admin])
    page = console.get("/admin/audit/").text
    cells = re.findall(r'<td data-label="Who"( title="[^"]*")?>([^<]*)</td>', page)
    # Newest first: the admin's own sign-in, then the three above.
    assert cells[:4] == [
        ("", ROLE_EMAILS[Role.admin]),
        (' title="system"', "Linked (automatic)"),
        (' title="system:scheduler"', "Scheduler (automatic)"),
        (' title="cli:ops"', "ops (command line)"),
    ]
