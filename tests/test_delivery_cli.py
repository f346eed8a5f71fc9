"""The sending commands end to end through Typer, on the outbox transport."""

from __future__ import annotations

import os
import re

from sqlalchemy import Engine
from typer.testing import CliRunner

from linked.cli import app
from linked.delivery import store
from linked.delivery.models import Delivery
from linked.delivery.owners import this_host
from linked.settings import Settings
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    env = {"LINKED_SECRET_KEY": str(settings.secret_key), "LINKED_FROM": settings.from_address}
    if settings.database_url:
        env["LINKED_DATABASE_URL"] = settings.database_url
    return env


def test_send_asks_then_status_pause_resume_retry(settings: Settings, engine: Engine) -> None:
    add_subscribers(engine, 4)
    copy_edition(settings)
    root = ["--root", str(settings.root)]
    env = _env(settings)

    refused = runner.invoke(app, [*root, "send", EDITION], input="n\n", env=env)
    assert refused.exit_code == 0 and "to 4 subscriber(s)?" in refused.output
    assert "Nothing sent" in refused.output

    sent = runner.invoke(app, [*root, "send", EDITION, "--yes"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "done 2021-05: 4 sent" in sent.output
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 4

    status = runner.invoke(app, [*root, "status", EDITION], env=env)
    assert status.exit_code == 0 and "done" in status.output and "│ 4" in status.output

    paused = runner.invoke(app, [*root, "pause", EDITION], env=env)
    assert paused.exit_code == 1 and "no send in progress" in paused.output

    retried = runner.invoke(app, [*root, "retry", EDITION], env=env)
    assert retried.exit_code == 0 and "0 row(s) re-queued" in retried.output
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 4


def test_proof_and_unknown_edition(settings: Settings, engine: Engine) -> None:
    copy_edition(settings)
    root = ["--root", str(settings.root)]
    env = _env(settings)
    proof = runner.invoke(app, [*root, "send", EDITION, "--test", "me@example.org"], env=env)
    assert proof.exit_code == 0 and "Proof sent to me@example.org" in proof.output
    missing = runner.invoke(app, [*root, "status", "1999-01"], env=env)
    assert missing.exit_code == 1 and "has not been sent" in missing.output


def test_send_detach_queues_for_workers_and_sends_nothing(
    settings: Settings, engine: Engine
) -> None:
    add_subscribers(engine, 3)
    copy_edition(settings)
    root = ["--root", str(settings.root)]
    queued = runner.invoke(app, [*root, "send", EDITION, "--yes", "--detach"], env=_env(settings))
    assert queued.exit_code == 0, queued.output
    assert (
        "queued 2021-05: 3 queued" in queued.output
        and "linked status 2021-05 --follow" in queued.output
    )
    assert list(settings.outbox_dir.glob("*.eml")) == []
    status = runner.invoke(app, [*root, "status", EDITION], env=_env(settings))
    assert "running" in status.output and "sending now" not in status.output
    store.claim(engine, EDITION, "worker-host/1:42:abcd", 2, 60)  # a worker takes two
    status = runner.invoke(app, [*root, "status", EDITION], env=_env(settings))
    assert "sending now" in status.output and "worker-host/1:42:abcd" in status.output
    runner.invoke(app, [*root, "pause", EDITION], env=_env(settings))
    followed = runner.invoke(app, [*root, "status", EDITION, "--follow"], env=_env(settings))
    assert followed.exit_code == 0, followed.output
    assert "paused" in followed.output and "0/3" in followed.output


def test_status_says_sending_now_only_for_a_live_process(
    settings: Settings, engine: Engine
) -> None:
    add_subscribers(engine, 5)
    copy_edition(settings)
    root = ["--root", str(settings.root)]
    env = _env(settings)
    planned = runner.invoke(app, [*root, "send", EDITION, "--yes", "--detach"], env=env)
    assert planned.exit_code == 0, planned.output
    # A process that claimed rows and died (its pid runs no more), and one that lives (us).
    dead = f"{this_host()}:{2**22 + 12345}:dead"
    store.claim(engine, EDITION, dead, 3, 600)
    live = f"{this_host()}:{os.getpid()}:live"
    store.claim(engine, EDITION, live, 1, 600)

    status = runner.invoke(app, [*root, "status", EDITION], env=env)
    assert status.exit_code == 0, status.output
    text = " ".join(status.output.split())
    assert "sending now" in text and "waiting for their lease" in text
    now_table, _, waiting_table = text.partition("waiting for their lease")
    assert ":live" in now_table and ":dead" not in now_table
    assert ":dead" in waiting_table and re.search(r"│ 3 │ at \d\d:\d\d:\d\d UTC", waiting_table)
    assert f"linked send {EDITION} --yes" in waiting_table

    with engine.begin() as conn:  # the live process finishes its row
        conn.execute(
            Delivery.__table__.update()  # type: ignore[attr-defined]
            .where(Delivery.__table__.c.lease_owner == live)  # type: ignore[attr-defined]
            .values(state="sent", lease_owner=None, lease_until=None)
        )
    again = runner.invoke(app, [*root, "status", EDITION], env=env)
    text = " ".join(again.output.split())
    assert "sending now" not in text and "waiting for their lease" in text

    resumed = runner.invoke(app, [*root, "send", EDITION, "--yes"], env=env)
    assert resumed.exit_code == 0 and "5 sent" in resumed.output, resumed.output
    final = " ".join(runner.invoke(app, [*root, "status", EDITION], env=env).output.split())
    assert "sending now" not in final and "waiting for their lease" not in final
