"""End to end: an edition sent over SMTP with VERP, a DSN in a real Dovecot mailbox,
``linked bounces fetch``, and the next send skips the bounced subscriber."""

from __future__ import annotations

import shutil
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from linked.cli import app
from linked.delivery import service
from linked.settings import Settings
from linked.subscribers.models import Subscriber
from tests.fixtures.bounce_corpus import corpus
from tests.fixtures.imap import IMAPServer
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition, rows
from tests.fixtures.smtp import SMTPServer

runner = CliRunner()


def test_a_dsn_to_one_return_path_bounces_that_subscriber_and_the_next_send_skips_them(
    make_settings: Callable[..., Settings],
    engine: Engine,
    smtp_server: SMTPServer,
    dovecot_imap: IMAPServer,
) -> None:
    settings = make_settings(
        smtp_url=smtp_server.url,
        bounce_address="bounces@example.org",
        bounce_imap_url=dovecot_imap.url,
    )
    readers = add_subscribers(engine, 3, prefix="journey")
    folder = copy_edition(settings)
    assert service.start_send(settings, folder, yes=True).counts["sent"] == 3
    received = smtp_server.wait_for(3)
    _, victim = readers[1]
    (message,) = [m for m in received if m.recipients == (victim,)]
    local, _, domain = message.sender.partition("@")
    assert local.startswith("bounces+") and domain == "example.org"
    assert all(m.sender != message.sender for m in received if m is not message)

    # The relay's DSN comes back to that return path (the Postfix shape from the corpus).
    token = local.partition("+")[2]
    (dsn,) = [s for s in corpus({"postfix": token}) if s.name == "postfix"]
    dovecot_imap.append(dsn.raw.replace(b"ada@example.com", victim.encode()))

    env = {
        "LINKED_SECRET_KEY": str(settings.secret_key),
        "LINKED_BOUNCE_ADDRESS": "bounces@example.org",
        "LINKED_BOUNCE_IMAP_URL": dovecot_imap.url,
    }
    if settings.database_url:
        env["LINKED_DATABASE_URL"] = settings.database_url
    root = ["--root", str(settings.root)]
    fetched = runner.invoke(app, [*root, "bounces", "fetch"], env=env)
    assert fetched.exit_code == 0, fetched.output
    assert "1 hard" in fetched.output and "1 recorded" in fetched.output
    with Session(engine) as session:
        statuses = {
            s.email: s.status.value for s in [session.get(Subscriber, i) for i, _ in readers] if s
        }
    assert statuses == {
        readers[0][1]: "confirmed",
        victim: "bounced",
        readers[2][1]: "confirmed",
    }

    status = runner.invoke(app, [*root, "status", EDITION], env=env)
    assert status.exit_code == 0, status.output
    assert "recipients since bounced: 1, complained: 0" in status.output

    # The next edition goes to the other two only.
    shutil.copytree(folder, settings.editions_dir / "2021-06")
    result = service.start_send(settings, settings.editions_dir / "2021-06", yes=True)
    assert result.counts["sent"] == 2
    assert victim not in rows(engine, "2021-06")
    assert len(smtp_server.wait_for(5)) == 5
